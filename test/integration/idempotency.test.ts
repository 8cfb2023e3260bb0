// Idempotency-Key on POST (issue 14): a retry with the same key and body replays the first response without writing
// again; another body is 422; a request still running is 409; a failed request stores nothing and may be retried.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_LABEL, createIncident, startTestApp, type TestServer } from './harness.js';
import { sessionsWaitOnLock } from './lock-waiters.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestApp();
});
afterAll(() => s.stop());

const withKey = (key: string, json: unknown) => ({ json, headers: { 'Idempotency-Key': key } });
const count = async (path: string): Promise<number> => ((await (await s.api(path)).json()) as unknown[]).length;

describe(`Idempotency-Key (${DB_LABEL})`, () => {
  it('replays a batch retry (the report: the connection dropped after the batch was stored) without storing it twice', async () => {
    const inc = await createIncident(s);
    const batch = Array.from({ length: 5 }, (_, i) => ({
      incident_id: inc.id,
      event_type: 'log',
      message: `line ${i}`,
    }));
    const first = await s.api('/api/ingest/events/batch', withKey('batch-1', batch));
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    const retry = await s.api('/api/ingest/events/batch', withKey('batch-1', batch));
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.text()).toBe(firstBody);
    expect(await count(`/api/ingest/events/${inc.id}?limit=1000`)).toBe(5);
  });

  it('announces what a keyed request wrote only once its transaction has committed (ChangeSink: committed changes)', async () => {
    // Each change is checked from another connection the moment it is published: before the fix the incident was
    // announced (and its analysis scheduled) inside the transaction, so another session could not see it yet, and
    // the analysis failed with "incident not found" (found by a new user's walkthrough).
    const other = new pg.Client({ connectionString: s.database.url });
    await other.connect();
    const checks: Array<Promise<{ type: string; visible: boolean }>> = [];
    const remove = s.changes.add({
      publish(change) {
        const [table, id] =
          change.type === 'event.created' ? ['events', change.events[0]?.id] : ['incidents', change.incident_id];
        checks.push(
          other
            .query(`select count(*)::int as n from ${table} where id = $1`, [id])
            .then((r: { rows: Array<{ n: number }> }) => ({ type: change.type, visible: r.rows[0]?.n === 1 })),
        );
      },
    });
    try {
      for (let k = 0; k < 3; k++) {
        const res = await s.api('/api/incidents/', withKey(`announce-${k}`, { title: `announced ${k}` }));
        expect(res.status).toBe(201);
        const { id } = (await res.json()) as { id: string };
        const ev = await s.api(
          '/api/ingest/events',
          withKey(`announce-ev-${k}`, { incident_id: id, event_type: 'log', message: 'm' }),
        );
        expect(ev.status).toBe(201);
      }
      const seen = await Promise.all(checks);
      expect(seen.map((c) => c.type)).toEqual(expect.arrayContaining(['incident.updated', 'event.created']));
      expect(seen.filter((c) => !c.visible)).toEqual([]);
    } finally {
      remove();
      await other.end();
    }
  });

  it('replays incident creation and single-event ingest the same way', async () => {
    const before = await count('/api/incidents/?limit=500');
    const a = await s.api('/api/incidents/', withKey('inc-1', { title: 'once' }));
    const b = await s.api('/api/incidents/', withKey('inc-1', { title: 'once' }));
    expect([a.status, b.status]).toEqual([201, 201]);
    const created = (await a.json()) as { id: string };
    expect(((await b.json()) as { id: string }).id).toBe(created.id);
    expect(await count('/api/incidents/?limit=500')).toBe(before + 1);
    const e1 = await s.api(
      '/api/ingest/events',
      withKey('ev-1', { incident_id: created.id, event_type: 'log', message: 'm' }),
    );
    const e2 = await s.api(
      '/api/ingest/events',
      withKey('ev-1', { incident_id: created.id, event_type: 'log', message: 'm' }),
    );
    expect(((await e1.json()) as { id: string }).id).toBe(((await e2.json()) as { id: string }).id);
    expect(await count(`/api/ingest/events/${created.id}`)).toBe(1);
  });

  it('refuses the same key with another body (422) and keeps keys of separate requests apart', async () => {
    expect((await s.api('/api/incidents/', withKey('inc-2', { title: 'a' }))).status).toBe(201);
    const other = await s.api('/api/incidents/', withKey('inc-2', { title: 'b' }));
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ code: 'UNPROCESSABLE_CONTENT' });
    expect((await s.api('/api/incidents/', withKey('inc-3', { title: 'b' }))).status).toBe(201);
  });

  it('takes a retry through the other spelling of the path, or with its keys in another order, as the same request', async () => {
    const a = await s.api('/api/incidents/', withKey('inc-4', { title: 'spelt', severity: 'high', tags: ['x'] }));
    const b = await s.api('/api/incidents', withKey('inc-4', { tags: ['x'], severity: 'high', title: 'spelt' }));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(((await b.json()) as { id: string }).id).toBe(((await a.json()) as { id: string }).id);
    // Arrays keep their order: other tags in another order are another request.
    const c = await s.api('/api/incidents/', withKey('inc-5', { title: 't', tags: ['x', 'y'] }));
    const d = await s.api('/api/incidents/', withKey('inc-5', { title: 't', tags: ['y', 'x'] }));
    expect([c.status, d.status]).toEqual([201, 422]);
  });

  it('answers 409 to a retry that arrives while the first request still runs, then replays', async () => {
    const inc = await createIncident(s);
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      incident_id: inc.id,
      event_type: 'log',
      message: `m${i}`,
    }));
    const [a, b] = await Promise.all([
      s.api('/api/ingest/events/batch', withKey('race', batch)),
      s.api('/api/ingest/events/batch', withKey('race', batch)),
    ]);
    const statuses = [a.status, b.status].sort();
    // Either the second saw the first still running (409), or it arrived after it finished and replayed it.
    expect([
      [201, 409],
      [201, 201],
    ]).toContainEqual(statuses);
    expect(await count(`/api/ingest/events/${inc.id}?limit=1000`)).toBe(1000);
    const later = await s.api('/api/ingest/events/batch', withKey('race', batch));
    expect(later.status).toBe(201);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
  });

  it('lets a retry wait a moment for the running request, replaying it if it finishes, else 409 with Retry-After', async () => {
    const inc = await createIncident(s);
    const body = { incident_id: inc.id, event_type: 'log', message: 'held' };
    // Something holds the events table, so the first request is under way (its claim not yet committed).
    const locker = new pg.Client({ connectionString: s.database.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table events in access exclusive mode');
      const first = s.api('/api/ingest/events', withKey('held', body));
      await sessionsWaitOnLock(s.database.url, 1);
      const started = Date.now();
      const busy = await s.api('/api/ingest/events', withKey('held', body));
      expect(busy.status, await busy.clone().text()).toBe(409);
      expect(busy.headers.get('retry-after')).toBe('1');
      expect(await busy.text()).toContain('still in progress');
      // It waited about a second first (the insert of its claim queued behind the running request's).
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      // Now the first finishes while a retry waits: the retry is its replay, not a 409.
      const retry = s.api('/api/ingest/events', withKey('held', body));
      // The first waits for the table, the retry for the first's claim.
      await sessionsWaitOnLock(s.database.url, 2);
      await locker.query('rollback');
      expect((await first).status).toBe(201);
      const replayed = await retry;
      expect(replayed.status).toBe(201);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await locker.end();
    }
    expect(await count(`/api/ingest/events/${inc.id}`)).toBe(1);
  });

  it('stores nothing for a failed request, so the same key can be retried once the cause is fixed', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const failed = await s.api(
      '/api/ingest/events',
      withKey('fix-me', { incident_id: missing, event_type: 'log', message: 'm' }),
    );
    expect(failed.status).toBe(404);
    const again = await s.api(
      '/api/ingest/events',
      withKey('fix-me', { incident_id: missing, event_type: 'log', message: 'm' }),
    );
    expect(again.status).toBe(404);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });

  it('validates the key, and ignores it where the operation is not idempotent', async () => {
    const bad = await s.api('/api/incidents/', withKey('has space', { title: 'x' }));
    expect(bad.status).toBe(400);
    const long = await s.api('/api/incidents/', withKey('k'.repeat(256), { title: 'x' }));
    expect(long.status).toBe(400);
    const inc = await createIncident(s);
    const analyze = await s.api(`/api/incidents/${inc.id}/analyze`, {
      method: 'POST',
      headers: { 'Idempotency-Key': 'k' },
    });
    expect(analyze.status).toBe(200);
  });

  it('replays across instances and restarts: the key lives in the database', async () => {
    const inc = await createIncident(s);
    const body = { incident_id: inc.id, event_type: 'log', message: 'stored once' };
    expect((await s.api('/api/ingest/events', withKey('durable', body))).status).toBe(201);
    const rows = await s.database.db
      .selectFrom('idempotency_keys')
      .select(['key', 'status'])
      .where('key', '=', 'durable')
      .execute();
    expect(rows).toEqual([{ key: 'durable', status: 201 }]);
  });
});
