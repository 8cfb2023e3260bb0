// A database that answers but refuses writes (SQLSTATE 25006): a primary demoted to a standby that a stale DNS name or
// pooled connection still leads to after a failover, `default_transaction_read_only` set for maintenance, or a managed
// server that turns itself read-only as its disk fills. Writes were answered 500; they are 503 with Retry-After, reads
// go on, and the pool replaces its connections so that, once writes are possible again (the failover's new primary),
// they succeed without a restart.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_ONLY_REPLACE_INTERVAL_MS } from '../../src/db/named-statements.js';
import {
  DB_LABEL,
  POSTGRES_URL,
  createIncident,
  createScratchDatabase,
  startTestServer,
  type ListeningTestServer,
} from './harness.js';

const event = (incidentId: string) => ({
  json: { incident_id: incidentId, event_type: 'log', message: 'written while read-only?', level: 'error' },
});

describe.skipIf(!POSTGRES_URL)(`a read-only database (${DB_LABEL})`, () => {
  let scratch: { url: string; drop(): Promise<void> };
  let admin: pg.Client;
  let t: ListeningTestServer;
  let name: string;

  beforeAll(async () => {
    scratch = await createScratchDatabase(POSTGRES_URL ?? '');
    name = new URL(scratch.url).pathname.slice(1);
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    t = await startTestServer({ DB_POOL_SIZE: '4' }, { databaseUrl: scratch.url });
  });
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await admin?.query(`alter database ${name} reset default_transaction_read_only`).catch(() => undefined);
    await admin?.end();
    await scratch?.drop();
  });

  /** Ends every session of the scratch database, as a failover does: the pool opens new ones. */
  const cutSessions = () =>
    admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);

  it('answers writes with 503 and Retry-After while reads go on, then writes again without a restart', async () => {
    const id = (await createIncident(t)).id;
    expect((await t.api('/api/ingest/events', event(id))).status).toBe(201);

    // New sessions are read-only, as on a standby; the old ones are cut.
    await admin.query(`alter database ${name} set default_transaction_read_only = on`);
    await cutSessions();
    // The first request after the cut may meet a connection the pool has not yet seen die (503 either way).
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
    }
    await expect(t.trpc.incidents.create.mutate({ title: 'through tRPC' })).rejects.toMatchObject({
      data: { code: 'SERVICE_UNAVAILABLE', httpStatus: 503 },
    });
    const read = await t.api(`/api/incidents/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, status: 'open' });
    expect((await t.api(`/api/ingest/events/${id}`)).status).toBe(200);
    expect((await t.api('/readyz')).status).toBe(200);

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
  }, 30_000);
});
