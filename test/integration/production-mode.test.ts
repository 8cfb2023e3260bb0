// The server as production runs it: VALIDATE_OUTPUT off (the rest of the suite turns it on). Responses must still
// match their schemas and what is stored; the batch response is the text remembered from the INSERT here.
// Its own file: the output-validation switch is process-wide.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Event, Incident } from '../../schema/index.js';
import { DB_LABEL, createIncident, startTestApp, type TestServer } from './harness.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestApp({ VALIDATE_OUTPUT: 'false' });
});
afterAll(() => s.stop());

describe(`production mode, no output validation (${DB_LABEL})`, () => {
  it('answers a batch with exactly the events it stored, in request order', async () => {
    const inc = await createIncident(s);
    const batch = Array.from({ length: 300 }, (_, i) => ({
      incident_id: inc.id,
      event_type: i % 2 ? 'log' : 'metric',
      message: `line ${i} "quoted" \\ back\nslash ✓`,
      ...(i % 3 ? { level: 'error', source: ' padded  ', timestamp: '2026-02-03T04:05:06.789+01:00' } : {}),
      metadata: { i, nested: { list: [i, null, true] } },
    }));
    const res = await s.api('/api/ingest/events/batch', { json: batch });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const created = Event.array().parse(await res.json());
    expect(created.map((e) => e.metadata.i)).toEqual(batch.map((e) => e.metadata.i));
    expect(created[1]).toMatchObject({ level: 'error', source: 'padded', timestamp: '2026-02-03T03:05:06.789Z' });
    expect(created[0]).toMatchObject({ level: 'info', source: 'unknown' });
    const stored = Event.array().parse(await (await s.api(`/api/ingest/events/${inc.id}?limit=1000`)).json());
    const byId = (xs: Event[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(stored)).toEqual(byId(created));
  });

  it('still answers single reads and writes in the documented shapes', async () => {
    const inc = await createIncident(s);
    expect(Incident.parse(await (await s.api(`/api/incidents/${inc.id}`)).json()).id).toBe(inc.id);
    const one = await s.api('/api/ingest/events', { json: { incident_id: inc.id, event_type: 'alert', message: 'x' } });
    expect(one.status).toBe(201);
    Event.parse(await one.json());
  });
});
