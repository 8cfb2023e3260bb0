// Rooms with keys: the upgrade is refused (401/403) before a socket opens, a browser's single-use ticket, the chat
// user taken from the key, speaking needs write, and a foreign Origin is refused.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createIncident, createTestKey, startTestServer, type ListeningTestServer } from './harness.js';
import { KEY_RECHECK_MS } from '../../src/rooms/subscription.js';
import { connectRoom, upgradeRefusal, upgradeStatus, wsUrl } from './ws-client.js';

let s: ListeningTestServer;
let incidentId: string;
let readKey: string;
let writeKey: string;
let ingestKey: string;
beforeAll(async () => {
  s = await startTestServer({ CORS_ORIGINS: 'https://console.example' });
  incidentId = (await createIncident(s)).id;
  readKey = await createTestKey(s, 'reader', ['read']);
  writeKey = await createTestKey(s, 'alice', ['write']);
  ingestKey = await createTestKey(s, 'sender', ['ingest']);
});
afterAll(() => s.stop());

async function ticketFor(key: string): Promise<{ ticket: string; expires_at: string }> {
  const res = await s.api('/api/rooms/tickets', { method: 'POST', headers: bearer(key) });
  expect(res.status).toBe(201);
  return (await res.json()) as { ticket: string; expires_at: string };
}

describe('rooms with keys', () => {
  it('refuses an upgrade without a key (401), with a key lacking read (403), and takes one with it', async () => {
    const url = wsUrl(s.url, incidentId);
    expect(await upgradeStatus(url)).toBe(401);
    // The refusal comes whole: its challenge, request id and JSON body (the status line alone, before).
    const refused = await upgradeRefusal(url);
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(refused.headers['x-request-id']).toBeTruthy();
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await upgradeStatus(url, bearer(ingestKey))).toBe(403);
    expect(await upgradeStatus(url, bearer(`wr_${'B'.repeat(43)}`))).toBe(401);
    expect(await upgradeStatus(url, bearer(readKey))).toBe(101);
  });

  it('a ticket works once and only until it expires; the key never goes into the URL', async () => {
    const { ticket, expires_at } = await ticketFor(readKey);
    expect(ticket).toMatch(/^wrt_/);
    expect(Date.parse(expires_at) - Date.now()).toBeLessThanOrEqual(60_000);
    const url = `${wsUrl(s.url, incidentId)}?ticket=${ticket}`;
    expect(await upgradeStatus(url)).toBe(101);
    expect(await upgradeStatus(url)).toBe(401);
    expect(await upgradeStatus(`${wsUrl(s.url, incidentId)}?ticket=wrt_nonsense`)).toBe(401);

    const stale = await ticketFor(readKey);
    await sql`update room_tickets set expires_at = now() - interval '1 second'`.execute(s.database.db);
    expect(await upgradeStatus(`${wsUrl(s.url, incidentId)}?ticket=${stale.ticket}`)).toBe(401);
  });

  it('speaks as the key, whatever user the client names; a read key may listen but not speak', async () => {
    const alice = await connectRoom(s.url, incidentId, { ticket: (await ticketFor(writeKey)).ticket, user: 'bob' });
    const reader = await connectRoom(s.url, incidentId, { headers: bearer(readKey) });
    try {
      await alice.next('welcome');
      await reader.next('welcome');
      alice.send({ user: 'mallory', message: 'it is the pool' });
      const heard = await reader.next('message');
      expect(heard.user).toBe('alice');
      reader.send({ user: 'reader', message: 'may I?' });
      const refused = await reader.next('error');
      expect(refused.code).toBe('forbidden');
      expect(refused.message).toContain('`write`');
    } finally {
      await alice.close();
      await reader.close();
    }
  });

  it('a key revoked while its socket is open can no longer speak, and the socket is closed (1008)', async () => {
    const key = await createTestKey(s, 'soon-gone', ['write']);
    const speaker = await connectRoom(s.url, incidentId, { headers: bearer(key) });
    const listener = await connectRoom(s.url, incidentId, { headers: bearer(readKey) });
    try {
      await speaker.next('welcome');
      await listener.next('welcome');
      await sql`update api_keys set revoked_at = now() where name = 'soon-gone'`.execute(s.database.db);
      speaker.send({ user: 'x', message: 'after revoke' });
      expect((await speaker.next('error')).code).toBe('unauthorized');
      expect((await speaker.closed).code).toBe(1008);
      const comments = await s.database.db
        .selectFrom('timeline_entries')
        .select('description')
        .where('entry_type', '=', 'comment')
        .where('description', '=', 'after revoke')
        .execute();
      expect(comments).toEqual([]);
    } finally {
      await speaker.close();
      await listener.close();
    }
  });

  it('a listener that never speaks loses its sockets within KEY_RECHECK_MS of its key being revoked, told why', async () => {
    const key = await createTestKey(s, 'quiet-gone', ['read']);
    // Two sockets on one key: both close (one lookup for the key, however many sockets it holds).
    const first = await connectRoom(s.url, incidentId, { headers: bearer(key) });
    const second = await connectRoom(s.url, incidentId, { headers: bearer(key) });
    const other = await connectRoom(s.url, incidentId, { headers: bearer(readKey) });
    try {
      await Promise.all([first.next('welcome'), second.next('welcome'), other.next('welcome')]);
      await sql`update api_keys set revoked_at = now() where name = 'quiet-gone'`.execute(s.database.db);
      const revokedAt = performance.now();
      for (const socket of [first, second]) {
        expect((await socket.next('error', undefined, KEY_RECHECK_MS + 2_000)).code).toBe('unauthorized');
        expect((await socket.closed).code).toBe(1008);
      }
      // The ping comes every 30 s (its default); the key check every 10 s.
      expect(performance.now() - revokedAt).toBeLessThan(KEY_RECHECK_MS + 2_000);
      // The other key's socket stays.
      other.send({ user: 'reader', message: 'still here?' });
      expect((await other.next('error')).code).toBe('forbidden');
    } finally {
      await first.close();
      await second.close();
      await other.close();
    }
  }, 20_000);

  it('refuses an upgrade from a foreign Origin, accepts a listed one and the server’s own', async () => {
    const url = wsUrl(s.url, incidentId);
    const host = new URL(s.url).host;
    expect(await upgradeStatus(url, { ...bearer(readKey), origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(url, { ...bearer(readKey), origin: 'https://console.example' })).toBe(101);
    expect(await upgradeStatus(url, { ...bearer(readKey), origin: `http://${host}` })).toBe(101);
  });

  it('answers CORS preflights for listed origins only', async () => {
    const preflight = (origin: string) =>
      s.api('/api/incidents/', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
    const ok = await preflight('https://console.example');
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://console.example');
    const no = await preflight('https://evil.example');
    expect(no.headers.get('access-control-allow-origin')).toBeNull();
  });
});
