// Analysis on several instances of one PostgreSQL: an incident's similar past incident, and so its root cause, does
// not depend on which instance analyses it. Each instance caches the corpus of past incidents for similarity search;
// it used to keep it for up to 30 s after another instance had stored an analysis, so the same question asked of two
// instances one after the other got two answers (found by a review that drove three instances).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Incident, type ServerFrame } from '../../schema/index.js';
import { DB_LABEL, POSTGRES_URL, createScratchDatabase, startTestApp, type TestServer } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const pool = (incident_id: string, n: number) =>
  Array.from({ length: n }, (_, k) => ({
    incident_id,
    event_type: 'log',
    level: 'error',
    source: 'orders-db',
    message: `FATAL: sorry, too many clients already (pool exhausted, ${k + 3} waiting)`,
  }));
const disk = (incident_id: string, n: number) =>
  Array.from({ length: n }, (_, k) => ({
    incident_id,
    event_type: 'log',
    level: 'error',
    source: 'orders-db',
    message: `could not write to file "base/16384/${1000 + k}": No space left on device`,
  }));

async function create(s: Pick<TestServer, 'api'>, title: string, events: (id: string) => object[]): Promise<string> {
  const res = await s.api('/api/incidents/', { json: { title } });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const batch = events(id);
  if (batch.length > 0) expect((await s.api('/api/ingest/events/batch', { json: batch })).status).toBe(201);
  return id;
}

async function analyse(s: Pick<TestServer, 'api'>, id: string): Promise<Incident> {
  const res = await s.api(`/api/incidents/${id}/analyze`, { method: 'POST' });
  expect(res.status).toBe(200);
  return Incident.parse(await res.json());
}

async function metricValue(s: Pick<TestServer, 'api'>, line: string): Promise<number> {
  const text = await (await s.api('/metrics')).text();
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found ? Number(found.split(' ').pop()) : 0;
}

describe(`analysis on two instances of one PostgreSQL (${DB_LABEL})`, () => {
  let a: TestServer;
  let b: TestServer;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const scratch = await createScratchDatabase(POSTGRES_URL ?? '');
    drop = scratch.drop;
    a = await startTestApp({}, { databaseUrl: scratch.url });
    b = await startTestApp({}, { databaseUrl: scratch.url });
  }, 60_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await drop?.();
  });

  it('gives an incident the same similar incident whichever instance analyses it', async () => {
    // P1: an older, less similar incident, analysed on A.
    const p1 = await create(a, 'P1 orders-db pool exhausted', (id) => [...pool(id, 10), ...disk(id, 10)]);
    await analyse(a, p1);
    // A analyses a bland new incident (it stores nothing), reading its corpus of past incidents now: P1 only.
    const skipped = 'analysis_runs_total{trigger="create",outcome="skipped"}';
    const skippedBefore = await metricValue(a, skipped);
    await create(a, 'zzz', () => []);
    for (let i = 0; i < 50 && (await metricValue(a, skipped)) <= skippedBefore; i++) await sleep(100);
    expect(await metricValue(a, skipped)).toBeGreaterThan(skippedBefore);

    // P2, exactly T's pattern, analysed on B; A hears of it through the database.
    const p2 = await create(b, 'P2 orders-db pool exhausted', (id) => pool(id, 20));
    const heard = new Promise<void>((resolve) => {
      const stop = a.hub.watchIncidents((frame: ServerFrame) => {
        if (frame.type === 'incident.updated' && frame.incident.id === p2 && frame.incident.root_cause !== null) {
          stop();
          resolve();
        }
      });
    });
    await analyse(b, p2);
    await heard;

    // T, and the same question asked of each instance, one right after the other.
    const t = await create(b, 'T orders-db pool exhausted', (id) => pool(id, 20));
    const onA = await analyse(a, t);
    const onB = await analyse(b, t);
    expect(onA.root_cause).toBe(onB.root_cause);
    expect(onA.root_cause).toContain('P2');
  });
});
