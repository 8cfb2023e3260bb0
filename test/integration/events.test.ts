// REST: event ingest (single and batch, all or nothing) and the event list with paging.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Event } from '../../schema/index.js';
import { uuidV7Time } from '../../src/db/uuid-v7.js';
import { DB_LABEL, createIncident, startTestApp, type TestServer } from './harness.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestApp();
});
afterAll(() => s.stop());

const MISSING = '123e4567-e89b-12d3-a456-426614174000';
const MISSING2 = '223e4567-e89b-12d3-a456-426614174000';

const event = (incident_id: string, i = 0) => ({
  incident_id,
  event_type: 'log',
  message: `PostgreSQL connection pool exhausted (${i})`,
  level: 'error',
  source: 'api-server-01',
  metadata: { i },
});

const listEvents = async (id: string, q = ''): Promise<Event[]> =>
  Event.array().parse(await (await s.api(`/api/ingest/events/${id}?${q}`)).json());

describe(`event ingest over REST (${DB_LABEL})`, () => {
  it('ingests one event with 201 and the documented shape', async () => {
    const inc = await createIncident(s);
    const res = await s.api('/api/ingest/events', { json: event(inc.id) });
    expect(res.status).toBe(201);
    const body = Event.parse(await res.json());
    expect(body).toMatchObject({ incident_id: inc.id, event_type: 'log', level: 'error', metadata: { i: 0 } });
    expect(Math.abs(Date.parse(body.timestamp) - Date.now())).toBeLessThan(60_000);
  });

  it('gives events time-ordered ids (UUIDv7, their arrival time), stored as answered', async () => {
    const inc = await createIncident(s);
    const before = Date.now();
    const res = await s.api('/api/ingest/events/batch', { json: [0, 1, 2].map((i) => event(inc.id, i)) });
    const after = Date.now();
    expect(res.status).toBe(201);
    const ids = Event.array()
      .parse(await res.json())
      .map((e) => e.id);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(uuidV7Time(id)).toBeGreaterThanOrEqual(before);
      expect(uuidV7Time(id)).toBeLessThanOrEqual(after);
    }
    expect((await listEvents(inc.id)).map((e) => e.id).sort()).toEqual([...ids].sort());
  });

  it('reads incident ids in any case as the same incident (answers and stores them lowercase)', async () => {
    const inc = await createIncident(s);
    const upper = inc.id.toUpperCase();
    const one = await s.api('/api/ingest/events', { json: event(upper, 0) });
    expect(one.status).toBe(201);
    expect(await one.json()).toMatchObject({ incident_id: inc.id });
    // One batch naming the incident both ways is one incident, not a missing one.
    const batch = await s.api('/api/ingest/events/batch', { json: [event(inc.id, 1), event(upper, 2)] });
    expect(batch.status).toBe(201);
    expect(((await batch.json()) as Event[]).map((e) => e.incident_id)).toEqual([inc.id, inc.id]);
    expect(await listEvents(upper)).toHaveLength(3);
    expect((await s.api(`/api/incidents/${upper}`)).status).toBe(200);
  });

  it('applies defaults and keeps the source clock', async () => {
    const inc = await createIncident(s);
    const res = await s.api('/api/ingest/events/', {
      json: { incident_id: inc.id, event_type: 'metric', message: 'cpu 97%', timestamp: '2026-01-02T03:04:05.678Z' },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ level: 'info', metadata: {}, timestamp: '2026-01-02T03:04:05.678Z' });
    // An empty source names nothing: it takes the default, alone and in a batch, and is stored so.
    const one = await s.api('/api/ingest/events/', {
      json: { incident_id: inc.id, event_type: 'log', message: 'a', source: '' },
    });
    expect(await one.json()).toMatchObject({ source: 'unknown' });
    const batch = await s.api('/api/ingest/events/batch', {
      json: [
        { incident_id: inc.id, event_type: 'log', message: 'b', source: ' ' },
        { incident_id: inc.id, event_type: 'log', message: 'c', source: 'api-1' },
      ],
    });
    expect(((await batch.json()) as Array<{ source: string }>).map((e) => e.source)).toEqual(['unknown', 'api-1']);
    const stored = (await (await s.api(`/api/ingest/events/${inc.id}`)).json()) as Array<{
      message: string;
      source: string;
    }>;
    expect(Object.fromEntries(stored.map((e) => [e.message, e.source]))).toMatchObject({
      a: 'unknown',
      b: 'unknown',
      c: 'api-1',
    });
  });

  it('404s naming an unknown incident and 400s on bad fields', async () => {
    const res = await s.api('/api/ingest/events', { json: event(MISSING) });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toContain(MISSING);
    const inc = await createIncident(s);
    const bad = await s.api('/api/ingest/events', { json: { ...event(inc.id), level: 'fatal', event_type: 'smoke' } });
    expect(bad.status).toBe(400);
    const paths = ((await bad.json()) as { issues: { path: string }[] }).issues.map((i) => i.path).sort();
    expect(paths).toEqual(['event_type', 'level']);
  });

  it('ingests a batch (a top-level array) and returns the created events with 201', async () => {
    const inc = await createIncident(s);
    const batch = Array.from({ length: 1000 }, (_, i) => event(inc.id, i));
    const res = await s.api('/api/ingest/events/batch', { json: batch });
    expect(res.status).toBe(201);
    const created = Event.array().parse(await res.json());
    expect(created).toHaveLength(1000);
    expect(created.map((e) => e.metadata.i)).toEqual(batch.map((e) => e.metadata.i));
    expect(await listEvents(inc.id, 'limit=1000')).toHaveLength(1000);
  });

  it('returns exactly what is stored: the batch response equals the events read back', async () => {
    const inc = await createIncident(s);
    const batch = [
      { ...event(inc.id, 0), timestamp: '2026-03-04T05:06:07.123456Z' },
      {
        ...event(inc.id, 1),
        timestamp: '2026-03-04T07:06:07+02:00',
        metadata: { nested: { list: [1, 'two', null] }, b: 1, a: 2 },
      },
      event(inc.id, 2),
      // Text beyond ASCII: the batch travels to PostgreSQL (and back to the client) as UTF-8 bytes.
      {
        ...event(inc.id, 3),
        message: 'Zürich 東京 🔥 \\ "quoted"',
        source: 'nœud-é',
        metadata: { clé: 'välue ✓', emoji: '🚒' },
      },
    ];
    const res = await s.api('/api/ingest/events/batch', { json: batch });
    expect(res.status).toBe(201);
    const created = Event.array().parse(await res.json());
    expect(created[3]).toMatchObject({
      message: 'Zürich 東京 🔥 \\ "quoted"',
      source: 'nœud-é',
      metadata: { clé: 'välue ✓', emoji: '🚒' },
    });
    // Offsets become UTC and precision is milliseconds, as every read returns it.
    expect(created[0]?.timestamp).toBe('2026-03-04T05:06:07.123Z');
    expect(created[1]?.timestamp).toBe('2026-03-04T05:06:07.000Z');
    const byId = (xs: Event[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(await listEvents(inc.id))).toEqual(byId(created));
  });

  it('400s naming events whose text PostgreSQL cannot store (NUL, unpaired surrogate), writing nothing', async () => {
    const inc = await createIncident(s);
    const batch = [
      event(inc.id, 0),
      { ...event(inc.id, 1), message: 'bad \u0000 byte' },
      { ...event(inc.id, 2), metadata: { k: 'half \ud800' } },
    ];
    const res = await s.api('/api/ingest/events/batch', { json: batch });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string }[] };
    expect(body.issues.map((i) => i.path)).toEqual(['[1].message', '[2].metadata.k']);
    expect(await listEvents(inc.id)).toHaveLength(0);
    const one = await s.api('/api/ingest/events', { json: { ...event(inc.id), source: 'nul\u0000' } });
    expect(one.status).toBe(400);
    expect(((await one.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['source']);
  });

  it('rejects a whole batch naming every bad index, writing nothing', async () => {
    const inc = await createIncident(s);
    const batch = [
      event(inc.id, 0),
      { ...event(inc.id, 1), level: 'loud' },
      event(inc.id, 2),
      { ...event(inc.id, 3), message: '' },
    ];
    const res = await s.api('/api/ingest/events/batch', { json: batch });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string; issues: { path: string }[] };
    expect(body.issues.map((i) => i.path)).toEqual(['[1].level', '[3].message']);
    expect(body.message).toContain('[1].level');
    expect(await listEvents(inc.id)).toHaveLength(0);
  });

  it('rejects a whole batch naming unknown incidents, writing nothing', async () => {
    const inc = await createIncident(s);
    const res = await s.api('/api/ingest/events/batch', {
      json: [event(inc.id), event(MISSING), event(MISSING2), event(MISSING)],
    });
    expect(res.status).toBe(404);
    const { message } = (await res.json()) as { message: string };
    expect(message).toContain(MISSING);
    expect(message).toContain(MISSING2);
    expect(await listEvents(inc.id)).toHaveLength(0);
  });

  it('still refuses unknown incidents in a batch whose other incident is already known to exist', async () => {
    const inc = await createIncident(s);
    // The first batch checks the incident and remembers it; the next ones with only it are not checked again.
    expect((await s.api('/api/ingest/events/batch', { json: [event(inc.id)] })).status).toBe(201);
    expect((await s.api('/api/ingest/events/batch', { json: [event(inc.id)] })).status).toBe(201);
    const res = await s.api('/api/ingest/events/batch', { json: [event(inc.id), event(MISSING)] });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toContain(MISSING);
    expect(await listEvents(inc.id)).toHaveLength(2);
    const single = await s.api('/api/ingest/events', { json: event(MISSING2) });
    expect(single.status).toBe(404);
  });

  it('bounds the batch size: empty and over 1000 are 400', async () => {
    const inc = await createIncident(s);
    expect((await s.api('/api/ingest/events/batch', { json: [] })).status).toBe(400);
    const big = await s.api('/api/ingest/events/batch', { json: Array.from({ length: 1001 }, () => event(inc.id)) });
    expect(big.status).toBe(400);
    expect(((await big.json()) as { message: string }).message).toContain('1000');
    expect((await s.api('/api/ingest/events/batch', { json: { not: 'an array' } })).status).toBe(400);
  });

  it('lists newest first with limit, before and since', async () => {
    const inc = await createIncident(s);
    const base = Date.parse('2026-03-01T00:00:00Z');
    const batch = Array.from({ length: 10 }, (_, i) => ({
      ...event(inc.id, i),
      timestamp: new Date(base + i * 1000).toISOString(),
    }));
    await s.api('/api/ingest/events/batch', { json: batch });
    const all = await listEvents(inc.id);
    expect(all.map((e) => e.metadata.i)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect((await listEvents(inc.id, 'limit=3')).map((e) => e.metadata.i)).toEqual([9, 8, 7]);
    const t6 = new Date(base + 6000).toISOString();
    expect((await listEvents(inc.id, `before=${t6}&limit=2`)).map((e) => e.metadata.i)).toEqual([5, 4]);
    const t7 = new Date(base + 7000).toISOString();
    expect((await listEvents(inc.id, `since=${t7}`)).map((e) => e.metadata.i)).toEqual([9, 8, 7]);
  });

  it('reads before and since finer than a millisecond as the instants they name', async () => {
    // Timestamps are stored to the millisecond; a filter may name a finer instant. Date.parse dropped the digits past
    // the third: since=.9995 took in the .999 event, before=.9991 left it out.
    const inc = await createIncident(s);
    const at = (ms: string) => `2026-03-01T00:00:00.${ms}Z`;
    await s.api('/api/ingest/events/batch', {
      json: [
        { ...event(inc.id, 0), timestamp: at('998') },
        { ...event(inc.id, 1), timestamp: at('999') },
        { ...event(inc.id, 2), timestamp: '2026-03-01T00:00:01.000Z' },
      ],
    });
    const ids = async (q: string) => (await listEvents(inc.id, q)).map((e) => e.metadata.i);
    expect(await ids(`since=${at('9995')}`)).toEqual([2]);
    expect(await ids(`since=${at('999000')}`)).toEqual([2, 1]);
    expect(await ids(`since=${at('9980001')}`)).toEqual([2, 1]);
    expect(await ids(`before=${at('9991')}`)).toEqual([1, 0]);
    expect(await ids(`before=${at('999000')}`)).toEqual([0]);
    expect(await ids(`before=${encodeURIComponent('2026-03-01T02:00:00.9980001+02:00')}`)).toEqual([0]);
  });

  it('validates list parameters and the incident', async () => {
    const inc = await createIncident(s);
    expect((await s.api(`/api/ingest/events/${inc.id}?limit=1001`)).status).toBe(400);
    expect((await s.api(`/api/ingest/events/${inc.id}?limit=0`)).status).toBe(400);
    expect((await s.api(`/api/ingest/events/${inc.id}?before=yesterday`)).status).toBe(400);
    expect((await s.api(`/api/ingest/events/${MISSING}`)).status).toBe(404);
    expect(await listEvents(inc.id, 'limit=1000')).toEqual([]);
  });
});
