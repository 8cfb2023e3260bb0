// `Prefer: return=minimal` on event ingest (RFC 7240): 201 with no body for senders that do not read the echo,
// the same writes as without it, errors unchanged, and every other operation ignoring it. Over a listening server,
// so the header goes through node's parser as a sender's would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Event } from '../../schema/index.js';
import { DB_LABEL, createIncident, startTestServer, type ListeningTestServer } from './harness.js';

let s: ListeningTestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

const MINIMAL = { Prefer: 'return=minimal' };
const event = (incident_id: string, i = 0) => ({
  incident_id,
  event_type: 'log',
  message: `line ${i}`,
  metadata: { i },
});
const stored = async (id: string): Promise<Event[]> =>
  Event.array().parse(await (await s.api(`/api/ingest/events/${id}?limit=1000`)).json());

describe(`Prefer: return=minimal (${DB_LABEL})`, () => {
  it('answers a batch with 201, no body and Preference-Applied, and stores every event', async () => {
    const inc = await createIncident(s);
    const batch = Array.from({ length: 300 }, (_, i) => event(inc.id, i));
    const res = await s.api('/api/ingest/events/batch', { json: batch, headers: MINIMAL });
    expect(res.status).toBe(201);
    expect(res.headers.get('preference-applied')).toBe('return=minimal');
    // An empty body said as one, not sent as an empty chunked body.
    expect(res.headers.get('content-length')).toBe('0');
    expect(await res.text()).toBe('');
    const events = await stored(inc.id);
    expect(events).toHaveLength(300);
    expect(new Set(events.map((e) => e.metadata.i))).toEqual(new Set(batch.map((e) => e.metadata.i)));
  });

  it('answers a single event the same way, among other preferences', async () => {
    const inc = await createIncident(s);
    const res = await s.api('/api/ingest/events', {
      json: event(inc.id),
      headers: { Prefer: 'respond-async, return=minimal; x=1' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('preference-applied')).toBe('return=minimal');
    expect(await res.text()).toBe('');
    expect(await stored(inc.id)).toHaveLength(1);
  });

  it('echoes the events as before without it, or with return=representation', async () => {
    const inc = await createIncident(s);
    for (const headers of [{}, { Prefer: 'return=representation' }] as Record<string, string>[]) {
      const res = await s.api('/api/ingest/events/batch', { json: [event(inc.id)], headers });
      expect(res.status).toBe(201);
      expect(res.headers.get('preference-applied')).toBeNull();
      expect(Event.array().parse(await res.json())).toHaveLength(1);
    }
  });

  it('keeps error bodies: a bad batch is 400 naming the item, an unknown incident 404, nothing written', async () => {
    const inc = await createIncident(s);
    const bad = await s.api('/api/ingest/events/batch', {
      json: [event(inc.id), { ...event(inc.id), level: 'fatal' }],
      headers: MINIMAL,
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('preference-applied')).toBeNull();
    expect(((await bad.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['[1].level']);
    const missing = '123e4567-e89b-12d3-a456-426614174000';
    const unknown = await s.api('/api/ingest/events/batch', {
      json: [event(inc.id), event(missing)],
      headers: MINIMAL,
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toContain(missing);
    expect(await stored(inc.id)).toHaveLength(0);
  });

  it('with an Idempotency-Key, stores the full response: a retry gets what it asks for, replayed', async () => {
    const inc = await createIncident(s);
    const headers = { ...MINIMAL, 'Idempotency-Key': `minimal-${inc.id}` };
    const first = await s.api('/api/ingest/events/batch', { json: [event(inc.id)], headers });
    expect(first.status).toBe(201);
    expect(await first.text()).toBe('');
    const again = await s.api('/api/ingest/events/batch', { json: [event(inc.id)], headers });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('preference-applied')).toBe('return=minimal');
    expect(await again.text()).toBe('');
    const full = await s.api('/api/ingest/events/batch', {
      json: [event(inc.id)],
      headers: { 'Idempotency-Key': `minimal-${inc.id}` },
    });
    expect(full.headers.get('idempotent-replayed')).toBe('true');
    const [echoed] = Event.array().parse(await full.json());
    const [kept] = await stored(inc.id);
    expect(echoed?.id).toBe(kept?.id);
    expect(await stored(inc.id)).toHaveLength(1);
  });

  it('is ignored by operations that do not document it (an incident is created and returned)', async () => {
    const res = await s.api('/api/incidents/', { json: { title: 'minimal?' }, headers: MINIMAL });
    expect(res.status).toBe(201);
    expect(res.headers.get('preference-applied')).toBeNull();
    expect(((await res.json()) as { title: string }).title).toBe('minimal?');
  });
});

describe(`Prefer from a browser on another origin (${DB_LABEL})`, () => {
  it('is allowed by the CORS preflight with every other header the API reads (it was missing: no return=minimal)', async () => {
    const t = await startTestServer({ CORS_ORIGINS: 'https://console.example' });
    try {
      const res = await fetch(`${t.url}/api/ingest/events/batch`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://console.example',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'prefer, idempotency-key, content-type, authorization, x-request-id',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://console.example');
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
      for (const header of ['prefer', 'idempotency-key', 'content-type', 'authorization', 'x-request-id']) {
        expect(allowed, header).toContain(header);
      }
      // And the answer to them is readable there: whether the preference or the replay applied.
      const minimal = await fetch(`${t.url}/api/incidents/`, {
        method: 'POST',
        headers: { Origin: 'https://console.example', 'content-type': 'application/json', Prefer: 'return=minimal' },
        body: JSON.stringify({ title: 'cross-origin' }),
      });
      const exposed = (minimal.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
      expect(exposed).toEqual(expect.arrayContaining(['preference-applied', 'idempotent-replayed', 'link']));
    } finally {
      await t.stop();
    }
  });
});
