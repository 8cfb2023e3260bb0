// MAX_STREAMS_PER_CLIENT: how many room sockets and SSE subscriptions one key (one address on an open server) may hold
// open at once. Each open stream holds memory, a slow one megabytes (src/http/stream-limit.ts).
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_RETRY_AFTER_SECONDS } from '../../src/http/stream-limit.js';
import { SSE_PING_MS } from '../../src/trpc/init.js';
import {
  DB_LABEL,
  bearer,
  createIncident,
  createTestKey,
  startTestServer,
  type ListeningTestServer,
} from './harness.js';
import { connectRoom, upgradeRefusal, wsUrl } from './ws-client.js';

interface OpenStream {
  /** The stream's first event: `connected` when it opened, `serialized-error` when it was refused. */
  first: string;
  /** The refusal's status (`data.httpStatus` of the error event), or 200. */
  status: number;
  /** The refusal's message, if refused. */
  message: string;
  close(): void;
}

/**
 * Opens an SSE subscription and reads its first event; an open one stays open until close(). A subscription refused
 * before it runs is still a 200 with one `serialized-error` event, which EventSource can read (src/http/errors.ts
 * subscriptionRefusal); its status is in the error.
 */
async function openStream(url: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  expect(res.status).toBe(200);
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('\n\n')) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const first = /^event: (\S+)$/m.exec(text)?.[1] ?? '';
  const data = /^data: (.*)$/m.exec(text)?.[1];
  const error =
    first === 'serialized-error' && data
      ? (JSON.parse(data) as { message: string; data: { httpStatus: number } })
      : undefined;
  return {
    first,
    status: error?.data.httpStatus ?? 200,
    message: error?.message ?? '',
    close: () => abort.abort(),
  };
}

describe(`open streams per key (${DB_LABEL})`, () => {
  let s: ListeningTestServer;
  let reader: string;
  let other: string;
  let incidentId: string;
  beforeAll(async () => {
    s = await startTestServer({ MAX_STREAMS_PER_CLIENT: '3' });
    const admin = await createTestKey(s, 'admin', ['admin']);
    reader = await createTestKey(s, 'reader', ['read']);
    other = await createTestKey(s, 'other', ['read']);
    const res = await s.api('/api/incidents/', { json: { title: 'watched' }, headers: bearer(admin) });
    incidentId = ((await res.json()) as { id: string }).id;
  });
  afterAll(() => s.stop());

  const listUrl = (): string => `${s.url}/trpc/incidents.onListUpdate`;
  const roomUrl = (): string =>
    `${s.url}/trpc/incidents.onUpdate?input=${encodeURIComponent(JSON.stringify({ incident_id: incidentId }))}`;

  it('refuses the stream past the limit with 429, whether SSE or a room socket, and counts both kinds', async () => {
    const list = await openStream(listUrl(), bearer(reader));
    const updates = await openStream(roomUrl(), bearer(reader));
    const room = await connectRoom(s.url, incidentId, { headers: bearer(reader) });
    await room.next('welcome');
    expect([list.status, updates.status]).toEqual([200, 200]);

    const refused = await openStream(listUrl(), bearer(reader));
    expect(refused.status).toBe(429);
    expect(refused.message).toMatch(/this API key holds 3 open streams.*MAX_STREAMS_PER_CLIENT/);
    const upgrade = await upgradeRefusal(wsUrl(s.url, incidentId), bearer(reader));
    expect(upgrade.status).toBe(429);
    expect(upgrade.headers['retry-after']).toBe(String(STREAM_RETRY_AFTER_SECONDS));

    // Only streams count: the same key's plain requests pass, and so do another key's streams.
    expect((await s.api('/api/incidents/', { headers: bearer(reader) })).status).toBe(200);
    expect((await s.api(`/trpc/keys.whoami`, { headers: bearer(reader) })).status).toBe(200);
    const others = await openStream(listUrl(), bearer(other));
    expect(others.status).toBe(200);

    // A stream that ends frees its place: an SSE response, then a room socket.
    list.close();
    await expect
      .poll(async () => {
        const again = await openStream(listUrl(), bearer(reader));
        again.close();
        return again.status;
      })
      .toBe(200);
    const replacement = await openStream(listUrl(), bearer(reader));
    expect(replacement.status).toBe(200);
    expect((await openStream(listUrl(), bearer(reader))).status).toBe(429);
    await room.close();
    await expect
      .poll(async () => {
        const res = await upgradeRefusal(wsUrl(s.url, incidentId), bearer(reader)).catch(() => ({ status: 101 }));
        return res.status;
      })
      .toBe(101);
    for (const stream of [updates, others, replacement]) stream.close();
  });

  it('counts a subscription under every spelling tRPC serves it by', async () => {
    // tRPC trims a slash off the path's end and decodes escapes: a trailing slash used to pass uncounted.
    const spelled = await createTestKey(s, 'spelled', ['read']);
    const input = encodeURIComponent(JSON.stringify({ incident_id: incidentId }));
    const opened = [
      await openStream(`${s.url}/trpc/incidents.onListUpdate/`, bearer(spelled)),
      await openStream(`${s.url}/trpc/incidents%2EonListUpdate`, bearer(spelled)),
      await openStream(`${s.url}/trpc/incidents.onUpdate/?input=${input}`, bearer(spelled)),
    ];
    expect(opened.map((x) => x.first)).toEqual(['connected', 'connected', 'connected']);
    for (const url of [`${s.url}/trpc/incidents.onListUpdate/`, `${s.url}/trpc/incidents.onUpdate/?input=${input}`]) {
      expect((await openStream(url, bearer(spelled))).status).toBe(429);
    }
    for (const stream of opened) stream.close();
  });

  it(
    'pings a quiet subscription, so proxies and NATs keep it and a dead peer is found',
    { timeout: 40_000 },
    async () => {
      const res = await fetch(listUrl(), { headers: { accept: 'text/event-stream', ...bearer(other) } });
      const reader = res.body?.getReader();
      if (!reader) throw new Error('no body');
      const decoder = new TextDecoder();
      let text = '';
      const start = performance.now();
      while (!text.includes('event: ping')) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      expect(text).toContain('event: ping');
      expect(performance.now() - start).toBeLessThan(SSE_PING_MS + 5_000);
      // The client link is told to reconnect a stream it has heard nothing on, pings included, for three periods.
      expect(text).toContain(`"reconnectAfterInactivityMs":${3 * SSE_PING_MS}`);
      await reader.cancel();
    },
  );

  it('does not count streams that were refused for another reason', async () => {
    // Four refusals in a row (an unknown incident's room, a missing scope) would fill a limit of 3 if they counted.
    const writer = await createTestKey(s, 'ingester', ['ingest']);
    for (let i = 0; i < 4; i++) {
      expect((await upgradeRefusal(wsUrl(s.url, '00000000-0000-4000-8000-000000000000'), bearer(reader))).status).toBe(
        404,
      );
    }
    for (let i = 0; i < 4; i++) {
      // The scope check refuses inside the stream, which then ends.
      const res = await fetch(listUrl(), { headers: { accept: 'text/event-stream', ...bearer(writer) } });
      expect(await res.text()).toContain('"httpStatus":403');
    }
    const streams = await Promise.all([0, 1, 2].map(() => openStream(listUrl(), bearer(reader))));
    expect(streams.map((x) => x.first)).toEqual(['connected', 'connected', 'connected']);
    await expect
      .poll(async () => {
        const res = await fetch(listUrl(), { headers: { accept: 'text/event-stream', ...bearer(writer) } });
        return res.text();
      })
      .toContain('"httpStatus":403');
    for (const stream of streams) stream.close();
  });
});

/** A non-loopback IPv4 address of this machine, if it has one. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a?.family === 'IPv4' && !a.internal)?.address;

describe.skipIf(!externalAddress)(
  `open streams per address on an open server (${DB_LABEL})${externalAddress ? '' : ' (skipped: this machine has no non-loopback IPv4 address)'}`,
  () => {
    let s: ListeningTestServer;
    beforeAll(async () => {
      // An open server reachable beyond loopback: AUTH=off (AUTH=auto refuses to start that way with no key).
      s = await startTestServer({ MAX_STREAMS_PER_CLIENT: '2', HOST: '0.0.0.0', AUTH: 'off' });
    });
    afterAll(() => s.stop());

    it('limits a remote address, and not loopback', async () => {
      const incident = await createIncident(s);
      const remote = `http://${externalAddress}:${s.port}`;
      const held = await Promise.all([0, 1].map(() => openStream(`${remote}/trpc/incidents.onListUpdate`)));
      expect(held.map((x) => x.status)).toEqual([200, 200]);
      const refused = await openStream(`${remote}/trpc/incidents.onListUpdate`);
      expect(refused.status).toBe(429);
      expect(refused.message).toMatch(/this address holds 2 open streams/);
      expect((await upgradeRefusal(wsUrl(remote, incident.id))).status).toBe(429);

      const local = `http://127.0.0.1:${s.port}`;
      const loopback = await Promise.all([0, 1, 2, 3].map(() => openStream(`${local}/trpc/incidents.onListUpdate`)));
      expect(loopback.map((x) => x.status)).toEqual([200, 200, 200, 200]);
      for (const stream of [...held, ...loopback]) stream.close();
    });
  },
);
