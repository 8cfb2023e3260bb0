// A key revoked while its SSE streams are open (the console's live list and an incident's updates) loses them, as
// it loses its room sockets: each stream checks its key again every KEY_RECHECK_MS and ends with an error.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_RECHECK_MS } from '../../src/rooms/subscription.js';
import {
  DB_LABEL,
  bearer,
  createIncident,
  createTestKey,
  startTestServer,
  type ListeningTestServer,
} from './harness.js';
import { connectRoom } from './ws-client.js';

/** Opens an SSE stream, with a key or (on an open server) without; collects its text until it ends. */
async function openStream(url: string, key?: string): Promise<{ text: () => string; ended: Promise<void> }> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...(key ? bearer(key) : {}) } });
  expect(res.status).toBe(200);
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  let text = '';
  const decoder = new TextDecoder();
  const ended = (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })();
  return { text: () => text, ended };
}

describe(`SSE subscriptions of a revoked key (${DB_LABEL})`, () => {
  let s: ListeningTestServer;
  let admin: string;
  beforeAll(async () => {
    s = await startTestServer();
    admin = await createTestKey(s, 'admin', ['admin']);
  });
  afterAll(() => s.stop());

  it('end within the recheck interval, saying why; a live key keeps its stream', { timeout: 60_000 }, async () => {
    const doomed = await createTestKey(s, 'doomed', ['read']);
    const kept = await createTestKey(s, 'kept', ['read']);
    const created = await s.api('/api/incidents/', { json: { title: 'watched' }, headers: bearer(admin) });
    const incident = (await created.json()) as { id: string };
    const input = encodeURIComponent(JSON.stringify({ incident_id: incident.id }));
    const list = await openStream(`${s.url}/trpc/incidents.onListUpdate`, doomed);
    const room = await openStream(`${s.url}/trpc/incidents.onUpdate?input=${input}`, doomed);
    const other = await openStream(`${s.url}/trpc/incidents.onListUpdate`, kept);

    await sql`update api_keys set revoked_at = now() where name = 'doomed'`.execute(s.database.db);
    const revokedAt = performance.now();
    await Promise.all([list.ended, room.ended]);
    expect(performance.now() - revokedAt).toBeLessThan(KEY_RECHECK_MS + 5_000);
    for (const stream of [list, room]) expect(stream.text()).toContain('the API key was revoked or has expired');

    // The other key's stream is still open and still delivers.
    await s.api('/api/incidents/', { json: { title: 'still seen' }, headers: bearer(admin) });
    await expect.poll(() => other.text(), { timeout: 10_000 }).toContain('still seen');
  });
});

describe(`streams and sockets opened on an open server, once it enforces keys (${DB_LABEL})`, () => {
  let s: ListeningTestServer;
  beforeAll(async () => {
    // AUTH=auto and no key yet: open.
    s = await startTestServer();
  });
  afterAll(() => s.stop());

  it(
    'end within the recheck interval when the first key is created, and cannot speak meanwhile',
    { timeout: 60_000 },
    async () => {
      const incident = await createIncident(s);
      const input = encodeURIComponent(JSON.stringify({ incident_id: incident.id }));
      const list = await openStream(`${s.url}/trpc/incidents.onListUpdate`);
      const updates = await openStream(`${s.url}/trpc/incidents.onUpdate?input=${input}`);
      const speaker = await connectRoom(s.url, incident.id, { user: 'eve' });
      const listener = await connectRoom(s.url, incident.id, { user: 'mallory' });
      await Promise.all([speaker.next('welcome'), listener.next('welcome')]);

      // The first key (an open server lets anyone make it, as `warroom keys create` would).
      const made = await s.api('/api/keys', { json: { name: 'first', scopes: ['admin'] } });
      expect(made.status).toBe(201);
      const madeAt = performance.now();

      // Speaking at once is refused, and that socket closed.
      speaker.send({ user: 'eve', message: 'still here?' });
      expect((await speaker.next('error')).message).toBe('this server now requires an API key');
      expect((await speaker.closed).code).toBe(1008);
      // The silent ones are closed by the recheck.
      expect((await listener.next('error', undefined, KEY_RECHECK_MS + 3_000)).code).toBe('unauthorized');
      expect((await listener.closed).code).toBe(1008);
      await Promise.all([list.ended, updates.ended]);
      expect(performance.now() - madeAt).toBeLessThan(KEY_RECHECK_MS + 5_000);
      for (const stream of [list, updates]) expect(stream.text()).toContain('this server now requires an API key');
      const comments = await s.database.db
        .selectFrom('timeline_entries')
        .select('description')
        .where('entry_type', '=', 'comment')
        .execute();
      expect(comments).toEqual([]);
    },
  );
});
