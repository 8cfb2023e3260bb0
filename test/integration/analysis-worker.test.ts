// The analysis worker thread, what every server analyses with: it reads an incident's events over its own
// connection and gives exactly the in-process analyzer's result; a thread that dies fails only the analysis it held
// and is replaced; it starts with the first analysis and ends when idle; shutdown ends it.
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeIncident } from '../../src/analysis/analyzer.js';
import { readAnalysisInput } from '../../src/analysis/runtime/input.js';
import { AnalysisWorker } from '../../src/analysis/runtime/worker-client.js';
import { WORKER_APPLICATION_NAME } from '../../src/analysis/runtime/worker-protocol.js';
import { CONNECT_TIMEOUT_MS } from '../../src/db/postgres.js';
import { AppError } from '../../src/domain/errors.js';
import { POSTGRES_URL, createIncident, startTestApp, type TestServer } from './harness.js';

const SKIP_REASON = 'needs a PostgreSQL server: set TEST_DATABASE_URL (CI does)';
const silent = pino({ level: 'silent' });

describe.skipIf(!POSTGRES_URL)(`analysis worker thread${POSTGRES_URL ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  let s: TestServer;
  let url: string;
  let incidentId: string;

  beforeAll(async () => {
    s = await startTestApp();
    url = s.database.url ?? '';
    const inc = await createIncident(s, { title: 'Checkout returning 502s' });
    incidentId = inc.id;
    const events = Array.from({ length: 300 }, (_, i) => ({
      incident_id: incidentId,
      event_type: 'log',
      level: i % 3 === 0 ? 'error' : 'info',
      source: i % 2 ? 'orders-db' : 'checkout-api',
      message:
        i % 3 === 0
          ? `connection pool exhausted (active=${100 + (i % 7)}, max=100)`
          : `GET /api/cart/${i} 200 in ${i % 50}ms`,
      timestamp: new Date(Date.parse('2026-11-20T10:00:00Z') + i * 1000).toISOString(),
    }));
    expect((await s.api('/api/ingest/events/batch', { json: events })).status).toBe(201);
  });
  afterAll(() => s?.stop());

  it('is what the server analyses with: its connection is in pg_stat_activity and analysis answers', async () => {
    const res = await s.api(`/api/incidents/${incidentId}/analyze`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { root_cause: string }).root_cause).toMatch(/database conn/);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query(
        'select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1',
        [WORKER_APPLICATION_NAME],
      );
      expect(r.rows[0].n).toBe(1);
    } finally {
      await c.end();
    }
  });

  it("reports the thread's heap in /metrics after an analysis", async () => {
    expect((await s.api(`/api/incidents/${incidentId}/analyze`, { method: 'POST' })).status).toBe(200);
    const text = await (await s.api('/metrics')).text();
    const bytes = Number(/^warroom_analysis_worker_heap_bytes (\S+)/m.exec(text)?.[1]);
    // A V8 heap that has just analysed 300 events: megabytes, not zero and not gigabytes.
    expect(bytes).toBeGreaterThan(1_000_000);
    expect(bytes).toBeLessThan(1_000_000_000);
  });

  it('gives exactly the in-process result, and the input when asked', async () => {
    const w = new AnalysisWorker({ databaseUrl: url }, silent);
    try {
      const fromThread = await w.analyze(incidentId, [], true);
      const input = await readAnalysisInput(s.database.db, incidentId, []);
      expect(input.events).toHaveLength(300);
      expect(fromThread.result).toEqual(analyzeIncident(input));
      expect(fromThread.input).toEqual(input);
      expect(fromThread.workMs).toBeGreaterThan(0);
      expect((await w.analyze(incidentId, [], false)).input).toBeUndefined();
    } finally {
      await w.close();
    }
  });

  /**
   * Starts `analyses` on a fresh thread (already up, its connection open) while a lock holds every read of `events`
   * for longer than the pool's connect timeout, then lets go; resolves with what they gave, or the error they failed
   * with (settled either way, so a failure while the lock is held is the assertion's, not an unhandled rejection).
   */
  async function whileEventsLocked<T>(analyses: (w: AnalysisWorker) => Promise<T>): Promise<T | unknown> {
    const w = new AnalysisWorker({ databaseUrl: url }, silent);
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await w.analyze(incidentId, [], false);
      await locker.query('begin');
      await locker.query('lock table events in access exclusive mode');
      const settled = analyses(w).then(
        (v) => v,
        (err: unknown) => err,
      );
      await new Promise((r) => setTimeout(r, CONNECT_TIMEOUT_MS + 1_500));
      await locker.query('commit');
      return await settled;
    } finally {
      await locker.end();
      await w.close();
    }
  }

  // The thread has one connection, and pg's pool counts a wait for it against its connect timeout (5 s): two reads
  // asked for at once made the second wait for the first, so an events read slower than 5 s (a large incident on a
  // loaded database; here, a lock) failed the analysis with "timeout exceeded when trying to connect", every time.
  it('analyses when reading the events takes longer than the connect timeout', { timeout: 30_000 }, async () => {
    const events = await whileEventsLocked(async (w) => (await w.analyze(incidentId, [], true)).input?.events.length);
    expect(events).toBe(300);
  });

  // The same wait between analyses: the server sends one at a time (its limiter), but the thread takes them in turn
  // itself, so two sent at once do not queue for its one connection either.
  it('runs two analyses sent at once in turn, however long the first one reads', { timeout: 30_000 }, async () => {
    const both = await whileEventsLocked(async (w) =>
      (await Promise.all([w.analyze(incidentId, [], true), w.analyze(incidentId, [], true)])).map(
        (d) => d.input?.events.length,
      ),
    );
    expect(both).toEqual([300, 300]);
  });

  it('answers a missing incident with NOT_FOUND, as the in-process path does', async () => {
    const w = new AnalysisWorker({ databaseUrl: url }, silent);
    try {
      const missing = '00000000-0000-4000-8000-000000000000';
      const err = await w.analyze(missing, [], false).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('NOT_FOUND');
    } finally {
      await w.close();
    }
  });

  it('a thread that dies fails the analysis it held; the next analysis starts a new thread', async () => {
    const w = new AnalysisWorker({ databaseUrl: url }, silent);
    try {
      await w.analyze(incidentId, [], false);
      const first = w.thread;
      const held = w.analyze(incidentId, [], false);
      void first?.terminate();
      await expect(held).rejects.toThrow(/exited .* before answering/);
      const again = await w.analyze(incidentId, [], false);
      expect(again.result.root_cause).toMatch(/database conn/);
      expect(w.thread).toBeDefined();
      expect(w.thread).not.toBe(first);
    } finally {
      await w.close();
    }
  });

  it('an analysis that never finishes fails at its deadline and its thread is replaced, so later ones run', async () => {
    // The thread's read waits on a lock held elsewhere, with no statement_timeout to end it (DB_STATEMENT_TIMEOUT_MS=0).
    const w = new AnalysisWorker({ databaseUrl: url, statementTimeoutMs: 0 }, silent, () => undefined, 60_000, 2_500);
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await w.analyze(incidentId, [], false);
      const first = w.thread;
      await locker.query('begin');
      await locker.query('lock table events in access exclusive mode');
      const started = performance.now();
      await expect(w.analyze(incidentId, [], false)).rejects.toThrow(
        `incident ${incidentId} did not finish within 2500 ms`,
      );
      expect(performance.now() - started).toBeGreaterThanOrEqual(2_450);
      await locker.query('rollback');
      const again = await w.analyze(incidentId, [], false);
      expect(again.result.root_cause).toMatch(/database conn/);
      expect(w.thread).not.toBe(first);
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.end();
      await w.close();
    }
  });

  it('a thread idle for idleMs ends, says so in the heap gauge, and the next analysis starts a new one', async () => {
    const heaps: number[] = [];
    const w = new AnalysisWorker({ databaseUrl: url }, silent, (bytes) => heaps.push(bytes), 200);
    try {
      expect(w.thread).toBeUndefined();
      await w.analyze(incidentId, [], false);
      const first = w.thread;
      const exited = new Promise<number>((resolve) => first?.once('exit', resolve));
      expect(await exited).toBe(0);
      expect(w.thread).toBeUndefined();
      expect(heaps.at(-1)).toBe(0);
      expect((await w.analyze(incidentId, [], false)).result.root_cause).toMatch(/database conn/);
      expect(w.thread).toBeDefined();
      expect(w.thread).not.toBe(first);
      expect(heaps.at(-1)).toBeGreaterThan(1_000_000);
    } finally {
      await w.close();
    }
  });

  it('recycle ends the thread now when idle, after its analyses when busy, and the next analysis starts anew', async () => {
    // After a failover the thread's connection, which only reads, may still lead to the demoted primary: the server
    // recycles the thread when its pool meets a read-only database (a review, 2026-12-02).
    const heaps: number[] = [];
    const w = new AnalysisWorker({ databaseUrl: url }, silent, (bytes) => heaps.push(bytes));
    try {
      await w.analyze(incidentId, [], false);
      const idle = w.thread;
      const idleExit = new Promise<number>((resolve) => idle?.once('exit', resolve));
      w.recycle();
      expect(w.thread).toBeUndefined();
      expect(await idleExit).toBe(0);

      const running = w.analyze(incidentId, [], false);
      const busy = w.thread;
      const busyExit = new Promise<number>((resolve) => busy?.once('exit', resolve));
      w.recycle();
      // Busy: the analysis it holds is answered, then the thread ends.
      expect(w.thread).toBe(busy);
      expect((await running).result.root_cause).toMatch(/database conn/);
      expect(w.thread).toBeUndefined();
      // The gauge says no thread runs (it reported the answered analysis's heap after retiring it, before).
      expect(heaps.at(-1)).toBe(0);
      expect(await busyExit).toBe(0);

      expect((await w.analyze(incidentId, [], false)).result.root_cause).toMatch(/database conn/);
      expect(w.thread).toBeDefined();
      expect(w.thread).not.toBe(busy);
    } finally {
      await w.close();
    }
  });

  it('close ends the thread (its connection too) and refuses more work', async () => {
    const w = new AnalysisWorker({ databaseUrl: url }, silent);
    await w.analyze(incidentId, [], false);
    const thread = w.thread;
    const exited = new Promise<number>((resolve) => thread?.once('exit', resolve));
    await w.close();
    expect(await exited).toBe(0);
    await expect(w.analyze(incidentId, [], false)).rejects.toThrow(/shut down/);
  });
});
