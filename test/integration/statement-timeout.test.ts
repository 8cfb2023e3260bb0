// A database that stalls (a lock held elsewhere, an overloaded server) costs a request DB_STATEMENT_TIMEOUT_MS, not
// forever: the statement is cancelled, the request answered 503 with Retry-After, nothing half-written, and the next
// request after the stall succeeds. Migrations are exempt: a second instance waiting for the first's migration lock
// must not give up. Real PostgreSQL sessions hold the locks (the suite's embedded server, or TEST_DATABASE_URL).
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DB_LABEL,
  POSTGRES_URL,
  createIncident,
  createScratchDatabase,
  startTestServer,
  type ListeningTestServer,
} from './harness.js';

const TIMEOUT_MS = 400;
let s: ListeningTestServer;
beforeAll(async () => {
  s = await startTestServer({ DB_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS) });
});
afterAll(() => s.stop());

/** Runs `body` while another session holds `lock table <table> in access exclusive mode`. */
async function whileLocked<T>(table: string, body: () => Promise<T>): Promise<T> {
  const locker = new pg.Client({ connectionString: s.database.url });
  await locker.connect();
  try {
    await locker.query('begin');
    await locker.query(`lock table ${table} in access exclusive mode`);
    return await body();
  } finally {
    await locker.query('rollback').catch(() => undefined);
    await locker.end();
  }
}

const timed = async (req: Promise<Response>): Promise<{ res: Response; ms: number }> => {
  const started = performance.now();
  const res = await req;
  return { res, ms: performance.now() - started };
};

async function expectUnavailable(res: Response, ms: number): Promise<void> {
  expect(res.status).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  const body = (await res.json()) as { code: string; message: string };
  expect(body.code).toBe('SERVICE_UNAVAILABLE');
  expect(JSON.stringify(body)).not.toMatch(/statement timeout|at .*\.(ts|js):\d+/);
  // Cancelled at the timeout, not at some later stall of ours: well under the 5 s a pooled connection is waited for.
  expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
  expect(ms).toBeLessThan(TIMEOUT_MS + 3_000);
}

describe(`statement timeout (${DB_LABEL})`, () => {
  it('answers reads and writes stuck behind a lock with 503 at the timeout, then recovers', async () => {
    const inc = await createIncident(s);
    await whileLocked('incidents', async () => {
      const read = await timed(s.api(`/api/incidents/${inc.id}`));
      await expectUnavailable(read.res, read.ms);
      const move = await timed(s.api(`/api/incidents/${inc.id}/status?status=investigating`, { method: 'PATCH' }));
      await expectUnavailable(move.res, move.ms);
      // tRPC callers get the same refusal, as SERVICE_UNAVAILABLE.
      await expect(s.trpc.incidents.get.query({ incident_id: inc.id })).rejects.toMatchObject({
        data: { code: 'SERVICE_UNAVAILABLE' },
      });
    });
    const after = await s.api(`/api/incidents/${inc.id}`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { status: string }).status).toBe('open');
  });

  it('writes nothing from a batch cancelled part-way (the events table locked)', async () => {
    const inc = await createIncident(s);
    const batch = Array.from({ length: 50 }, (_, i) => ({ incident_id: inc.id, event_type: 'log', message: `m${i}` }));
    await whileLocked('events', async () => {
      const ingest = await timed(s.api('/api/ingest/events/batch', { json: batch }));
      await expectUnavailable(ingest.res, ingest.ms);
    });
    const events = (await (await s.api(`/api/ingest/events/${inc.id}?limit=1000`)).json()) as unknown[];
    expect(events).toHaveLength(0);
    const retried = await s.api('/api/ingest/events/batch', { json: batch });
    expect(retried.status).toBe(201);
  });

  it('keeps serving what does not touch the locked table', async () => {
    await whileLocked('events', async () => {
      const { res, ms } = await timed(s.api('/api/incidents/?limit=5'));
      expect(res.status).toBe(200);
      expect(ms).toBeLessThan(TIMEOUT_MS);
    });
  });

  it('does not apply to migrations: an instance waiting for another one migrating starts once it is done', async () => {
    if (!POSTGRES_URL) throw new Error('the suite always has a PostgreSQL');
    const scratch = await createScratchDatabase(POSTGRES_URL);
    // Kysely's migration lock (PostgresAdapter: pg_advisory_lock(3853314791062309107)), held as a slow migration of
    // another instance would hold it: four times the statement timeout.
    const other = new pg.Client({ connectionString: scratch.url });
    await other.connect();
    try {
      await other.query('select pg_advisory_lock(3853314791062309107)');
      const release = setTimeout(
        () => void other.query('select pg_advisory_unlock(3853314791062309107)'),
        4 * TIMEOUT_MS,
      );
      const started = performance.now();
      const late = await startTestServer(
        { DB_STATEMENT_TIMEOUT_MS: String(TIMEOUT_MS), DB_POOL_SIZE: '3' },
        { databaseUrl: scratch.url },
      );
      clearTimeout(release);
      try {
        expect(performance.now() - started).toBeGreaterThanOrEqual(4 * TIMEOUT_MS - 50);
        expect((await late.api('/api/incidents/')).status).toBe(200);
        // The connection that migrated went back to the pool with the timeout it was opened with: hold all three
        // of the pool's connections at once, so that one is among them.
        let arrived = 0;
        let allHere = (): void => undefined;
        const together = new Promise<void>((resolve) => (allHere = resolve));
        const shown = await Promise.all(
          Array.from({ length: 3 }, () =>
            late.database.db.connection().execute(async (conn) => {
              const { rows } = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(conn);
              if (++arrived === 3) allHere();
              await together;
              return rows[0]?.statement_timeout;
            }),
          ),
        );
        expect(new Set(shown)).toEqual(new Set([`${TIMEOUT_MS}ms`]));
      } finally {
        await late.close(1000);
      }
    } finally {
      await other.end();
      await scratch.drop();
    }
  });
});
