// An Idempotency-Key request whose instance dies mid-request leaves nothing behind: the retry through another
// instance runs at once, even while the dead request's statement was still waiting on a lock. The claim on the key used to commit on its own before the request's writes, and one left by a
// killed instance answered every retry 409 "still in progress" for 60 s, so a sender that gives up after a few
// Retry-After waits lost the event. Found by a review that drove several instances on one PostgreSQL.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_LABEL, POSTGRES_URL, createScratchDatabase } from '../integration/harness.js';
import { spawnWarroom, type WarroomProcess } from './process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`Idempotency-Key across a crash (${DB_LABEL})`, () => {
  let a: WarroomProcess | undefined;
  let b: WarroomProcess | undefined;
  let drop: (() => Promise<void>) | undefined;
  let url = '';

  beforeAll(async () => {
    const scratch = await createScratchDatabase(POSTGRES_URL ?? '');
    drop = scratch.drop;
    url = scratch.url;
    a = await spawnWarroom({ DATABASE_URL: url });
    b = await spawnWarroom({ DATABASE_URL: url });
  }, 60_000);
  afterAll(async () => {
    if (a && a.child.exitCode === null && a.child.signalCode === null) await a.stop();
    await b?.stop();
    await drop?.();
  });

  it('lets the retry of an Idempotency-Key request through another instance succeed once the first instance is gone', async () => {
    if (!a || !b) throw new Error('not started');
    const created = (await (await b.api('/api/incidents/', { json: { title: 'deploy gone wrong' } })).json()) as {
      id: string;
    };
    const body = { incident_id: created.id, event_type: 'log', message: 'deploy 4711 rolled back' };
    const key = `retry-${Date.now()}`;
    // Something holds the events table (here: a lock), so A's request is under way, its claim made, when A dies.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('begin');
    await locker.query('lock table events in access exclusive mode');
    const first = a
      .api('/api/ingest/events', { json: body, headers: { 'idempotency-key': key } })
      .then((r) => r.status)
      .catch(() => 'connection lost');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // A's request waits for the lock: its claim on the key is made, in its transaction.
      for (let i = 0; i < 100; i++) {
        const { rows } = await admin.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and wait_event_type = 'Lock' and query ilike 'insert into%events%'`,
        );
        if ((rows[0]?.n ?? 0) > 0) break;
        await sleep(100);
      }
      a.child.kill('SIGKILL');
      expect(await first).toBe('connection lost');
      // PostgreSQL ends the dead instance's statement while it still waits for the lock (client_connection_check_
      // interval), not when the lock is released or the statement times out (15 s): its claim goes with it.
      const waiting = async (): Promise<number> =>
        (
          await admin.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity
             where datname = current_database() and wait_event_type = 'Lock' and query ilike 'insert into%events%'`,
          )
        ).rows[0]?.n ?? 0;
      const gaveUpAt = Date.now() + 8_000;
      while ((await waiting()) > 0 && Date.now() < gaveUpAt) await sleep(100);
      expect(await waiting()).toBe(0);
      await locker.query('rollback');
      // The client's first retry, through B, runs: nothing of A's request is left to wait for.
      const retry = await b.api('/api/ingest/events', { json: body, headers: { 'idempotency-key': key } });
      expect(retry.status, await retry.text()).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBeNull();
      const { rows } = await admin.query('select count(*)::int as n from events where incident_id = $1', [created.id]);
      expect(rows[0]).toEqual({ n: 1 });
    } finally {
      await locker.end().catch(() => undefined);
      await admin.end();
    }
  }, 60_000);
});
