// A database that answers but refuses writes (SQLSTATE 25006): a primary demoted to a standby that a stale DNS name or
// pooled connection still leads to after a failover, `default_transaction_read_only` set for maintenance, or a managed
// server that turns itself read-only as its disk fills. Writes were answered 500; they are 503 with Retry-After, reads
// go on, and the pool replaces its connections so that, once writes are possible again (the failover's new primary),
// they succeed without a restart.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_ONLY_REPLACE_INTERVAL_MS } from '../../src/db/named-statements.js';
import { BUS_APPLICATION_NAME } from '../../src/rooms/pg-bus.js';
import {
  DB_LABEL,
  POSTGRES_URL,
  createIncident,
  createScratchDatabase,
  startTestServer,
  type ListeningTestServer,
} from './harness.js';
import { captureLogs } from './log-capture.js';
import { connectRoom } from './ws-client.js';

/** The read-only episode's quiet time (READ_ONLY_QUIET_MS, 60 s), shortened. */
const QUIET_MS = 1_500;

const event = (incidentId: string) => ({
  json: { incident_id: incidentId, event_type: 'log', message: 'written while read-only?', level: 'error' },
});

describe.skipIf(!POSTGRES_URL)(`a read-only database (${DB_LABEL})`, () => {
  let scratch: { url: string; drop(): Promise<void> };
  let admin: pg.Client;
  let t: ListeningTestServer;
  let name: string;
  const { logger, lines } = captureLogs('warn');

  beforeAll(async () => {
    scratch = await createScratchDatabase(POSTGRES_URL ?? '');
    name = new URL(scratch.url).pathname.slice(1);
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    t = await startTestServer(
      { DB_POOL_SIZE: '4', LOG_LEVEL: 'warn' },
      { databaseUrl: scratch.url, logger, readOnlyQuietMs: QUIET_MS },
    );
  });
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await admin?.query(`alter database ${name} reset default_transaction_read_only`).catch(() => undefined);
    await admin?.end();
    await scratch?.drop();
  });

  /** Backends of the room bus's LISTEN connection (waits for it to be there after a cut). */
  const busPids = async (): Promise<number[]> => {
    for (let i = 0; ; i++) {
      const { rows } = await admin.query<{ pid: number }>(
        'select pid from pg_stat_activity where datname = $1 and application_name = $2',
        [name, BUS_APPLICATION_NAME],
      );
      if (rows.length > 0 || i >= 50) return rows.map((r) => r.pid);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** Ends every session of the scratch database, as a failover does: the pool opens new ones. */
  const cutSessions = () =>
    admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);

  it('answers writes with 503 and Retry-After while reads go on, then writes again without a restart', async () => {
    const id = (await createIncident(t)).id;
    expect((await t.api('/api/ingest/events', event(id))).status).toBe(201);

    // New sessions are read-only, as on a standby; the old ones are cut.
    const readOnlySince = Date.now();
    const linesBefore = lines.length;
    await admin.query(`alter database ${name} set default_transaction_read_only = on`);
    await cutSessions();
    // The first request after the cut may meet a connection the pool has not yet seen die: 503 either way, but said
    // as a database not answering.
    expect((await t.api('/api/ingest/events', event(id))).status).toBe(503);
    for (const [path, init] of [
      ['/api/incidents/', { json: { title: 'while read-only' } }],
      ['/api/ingest/events', event(id)],
      ['/api/ingest/events/batch', { json: [event(id).json, event(id).json] }],
      [`/api/incidents/${id}/status?status=investigating`, { method: 'PATCH' }],
    ] as const) {
      const res = await t.api(path, init);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after'), path).toMatch(/^\d+$/);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('SERVICE_UNAVAILABLE');
      expect(body.message).not.toMatch(/read-only transaction|INSERT|UPDATE/);
      // Not "not answering": it answered, and refuses until someone acts (the drill read the wrong one).
      expect(body.message, path).toMatch(/until an operator acts/);
    }
    await expect(t.trpc.incidents.create.mutate({ title: 'through tRPC' })).rejects.toMatchObject({
      data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 },
    });
    const read = await t.api(`/api/incidents/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, status: 'open' });
    expect((await t.api(`/api/ingest/events/${id}`)).status).toBe(200);
    expect((await t.api('/readyz')).status).toBe(200);

    // Logged as what it is, an operator's to mend, and once a second whatever the load and whichever way it came: a
    // review counted 200 warnings for 200 tRPC calls, and the drill one error line (with a stack) per chat message.
    const room = await connectRoom(t.url, id, { user: 'responder' });
    await room.next('welcome');
    for (let i = 0; i < 30; i++) {
      await expect(t.trpc.incidents.create.mutate({ title: `tRPC ${i}` })).rejects.toMatchObject({
        data: { code: 'SERVICE_UNAVAILABLE' },
      });
      expect((await t.api('/api/ingest/events', event(id))).status).toBe(503);
    }
    for (let i = 0; i < 10; i++) room.send({ message: `chat ${i}` });
    for (let i = 0; i < 10; i++) await room.next('error', (f) => f.code === 'unavailable');
    await room.close();
    // Since the database turned read-only: its refusals (an error each) at most one a second, and the warnings of
    // the cut sessions (one kind each: the connection terminated) no more than a few.
    const seconds = Math.ceil((Date.now() - readOnlySince) / 1000);
    const refusals = lines.slice(linesBefore).filter((l) => String(l.msg).startsWith('request refused'));
    const operator = refusals.filter((l) => /until an operator acts/.test(String(l.msg)));
    expect(operator.length).toBeGreaterThan(0);
    expect(operator.length).toBeLessThanOrEqual(seconds + 1);
    for (const l of operator) expect(l).toMatchObject({ level: 50 });
    expect(refusals.length - operator.length).toBeLessThanOrEqual(3);
    // Nor anything else per request or message: everything logged since, background jobs (the alert sweep, at most a
    // line a second too) included, stays within a few lines a second.
    expect(lines.length - linesBefore).toBeLessThanOrEqual(2 * (seconds + 1) + 3);

    const busReadOnly = await busPids();
    expect(busReadOnly.length).toBe(1);
    // Writable again for new sessions, as the new primary is; the pool's sessions are still read-only ones. A steady
    // trickle of requests keeps them from ever idling out, so only replacing them lets writes through.
    await admin.query(`alter database ${name} reset default_transaction_read_only`);
    const deadline = Date.now() + READ_ONLY_REPLACE_INTERVAL_MS + 5_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await t.api('/api/ingest/events', event(id))).status;
      if (status === 201) break;
      expect(status).toBe(503);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(201);
    expect((await t.api('/api/incidents/', { json: { title: 'after the failover' } })).status).toBe(201);
    // The room bus's own connection, made while read-only, is made again once no write has been refused for a while
    // (after a real failover it would have kept listening on the demoted primary, where no other instance speaks);
    // not at each of the pool's replacements, which on a database that stays read-only cost rooms a 1012 each.
    const remade = Date.now() + QUIET_MS + 5_000;
    let busNow = await busPids();
    while (busNow.some((pid) => busReadOnly.includes(pid)) && Date.now() < remade) {
      await new Promise((r) => setTimeout(r, 200));
      busNow = await busPids();
    }
    expect(busNow.length).toBe(1);
    expect(busNow.some((pid) => busReadOnly.includes(pid))).toBe(false);
    expect(lines.some((l) => /refused as read-only; replacing/.test(String(l.msg)))).toBe(true);
  }, 30_000);
});
