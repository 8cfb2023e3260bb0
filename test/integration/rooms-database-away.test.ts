// Open room sockets while the database goes away and comes back: error frames, no crash, and chat resumes.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createTRPCClient, httpSubscriptionLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRouter } from '../../src/routers/index.js';
import {
  POSTGRES_URL,
  createIncident,
  createScratchDatabase,
  startTestServer,
  type ListeningTestServer,
} from './harness.js';
import { connectRoom, upgradeRefusal, wsUrl } from './ws-client.js';

// The fault is a TCP proxy in front of PostgreSQL being cut.
const SKIP_REASON = 'needs a PostgreSQL server: set TEST_DATABASE_URL (CI does)';

/** A TCP proxy to the database that can be cut (every connection reset, new ones refused) and restored. */
class Proxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(
    private readonly host: string,
    private readonly upstreamPort: number,
  ) {}

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.upstreamPort, this.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.resetAndDestroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe.skipIf(!POSTGRES_URL)(
  `incident rooms while the database is away${POSTGRES_URL ? '' : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    let s: ListeningTestServer;
    let proxy: Proxy;
    let drop: () => Promise<void>;
    let directUrl: string;

    beforeAll(async () => {
      const scratch = await createScratchDatabase(POSTGRES_URL ?? '');
      drop = scratch.drop;
      directUrl = scratch.url;
      const url = new URL(scratch.url);
      proxy = new Proxy(url.hostname, Number(url.port || 5432));
      await proxy.up();
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      s = await startTestServer({}, { databaseUrl: url.toString() });
    });
    afterAll(async () => {
      await proxy?.up().catch(() => undefined);
      await s?.stop();
      await drop?.();
    });

    it('answers chat with an `unavailable` error frame, keeps the socket open, and resumes when it is back', async () => {
      const inc = await createIncident(s);
      const a = await connectRoom(s.url, inc.id, { user: 'ann' });
      await a.next('welcome');
      a.send({ user: 'ann', message: 'before' });
      expect((await a.next('message')).message).toBe('before');

      await proxy.down();
      a.send({ user: 'ann', message: 'while away' });
      const err = await a.next('error', undefined, 15_000);
      expect(err.code).toBe('unavailable');
      expect(err.message).toMatch(/again/);
      a.send({ type: 'ping' });
      await a.next('pong');
      expect(a.ws.readyState).toBe(a.ws.OPEN);
      // A new socket is refused at the upgrade with 503 (retry), not a 500, and nothing crashes.
      // Whole: @hono/node-ws wrote the status line alone, without Retry-After, request id or body.
      const refused = await upgradeRefusal(wsUrl(s.url, inc.id), { 'x-request-id': 'upgrade-while-away' });
      expect(refused.status).toBe(503);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.headers['x-request-id']).toBe('upgrade-while-away');
      expect(JSON.parse(refused.body)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', request_id: 'upgrade-while-away' });

      await proxy.up();
      a.send({ user: 'ann', message: 'after' });
      expect((await a.next('message', undefined, 15_000)).message).toBe('after');
      expect(a.frames.filter((f) => f.type === 'message').map((f) => f.message)).toEqual(['before', 'after']);
      await a.close();
    }, 40_000);

    it('a subscription opened while the database is away is retried by the tRPC link and starts once it is back', async () => {
      const inc = await createIncident(s);
      const trpc = createTRPCClient<AppRouter>({
        links: [httpSubscriptionLink({ url: `${s.url}/trpc`, EventSource })],
      });
      await proxy.down();
      const errors: unknown[] = [];
      let unsubscribe = (): void => undefined;
      const welcome = new Promise<string>((resolve) => {
        unsubscribe = trpc.incidents.onUpdate.subscribe(
          { incident_id: inc.id },
          {
            onData: (frame) => {
              if (frame.type === 'welcome') resolve(frame.incident.id);
            },
            onError: (e) => errors.push(e),
          },
        ).unsubscribe;
      });
      try {
        // Refused with 503 meanwhile (before the procedure runs, or by it): a retryable error, not the end.
        await new Promise((r) => setTimeout(r, 3000));
        await proxy.up();
        expect(await welcome).toBe(inc.id);
        expect(errors).toEqual([]);
      } finally {
        unsubscribe();
        await proxy.up();
      }
    }, 40_000);

    it('closes its sockets with 1012 once it finds it missed another instance’s frames while it was away', async () => {
      // Instance B reaches the database directly; this one (A) through the proxy. While A is cut off, B's chat is
      // stored and NOTIFYed, but A is not listening and NOTIFY does not replay: A's socket would show a room with a
      // hole in it for ever (walkthrough, 2026-12-01). A numbers gap in B's payloads tells A; its socket is closed
      // with 1012 so the client reconnects and loads what it missed.
      const b = await startTestServer({}, { databaseUrl: directUrl });
      try {
        const inc = await createIncident(b);
        const onA = await connectRoom(s.url, inc.id, { user: 'ann' });
        const onB = await connectRoom(b.url, inc.id, { user: 'ben' });
        await Promise.all([onA.next('welcome'), onB.next('welcome')]);
        onB.send({ user: 'ben', message: 'first' });
        expect((await onA.next('message', undefined, 10_000)).message).toBe('first');

        await proxy.down();
        onB.send({ user: 'ben', message: 'while A was away' });
        expect((await onB.next('message', (f) => f.message === 'while A was away')).message).toBe('while A was away');
        await proxy.up();
        // B keeps talking until A's bus is back and hears a number after the one it missed.
        let closed: { code: number; reason: string } | undefined;
        void onA.closed.then((c) => (closed = c));
        for (let i = 0; i < 60 && !closed; i++) {
          onB.send({ user: 'ben', message: `after ${i}` });
          await new Promise((r) => setTimeout(r, 250));
        }
        expect(closed).toEqual({ code: 1012, reason: 'missed updates from other instances; reconnect' });
        const again = await connectRoom(s.url, inc.id, { user: 'ann' });
        const welcome = await again.next('welcome', undefined, 15_000);
        expect(welcome.timeline.map((e) => e.description)).toContain('while A was away');
        await Promise.all([again.close(), onB.close()]);
      } finally {
        await b.stop();
      }
    }, 60_000);

    it('keeps its sockets when it was away but missed no frame (heartbeats are not frames)', async () => {
      // Review, 2026-12-01: heartbeats were numbered with the frames, so any gap longer than one heartbeat closed
      // every socket of the instance though nobody had said anything.
      const presence = { heartbeatMs: 200, timeoutMs: 60_000 };
      const url = new URL(directUrl);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const a = await startTestServer({}, { databaseUrl: url.toString(), presence });
      const b = await startTestServer({}, { databaseUrl: directUrl, presence });
      try {
        const inc = await createIncident(b);
        const onA = await connectRoom(a.url, inc.id, { user: 'ann' });
        await onA.next('welcome');
        const onB = await connectRoom(b.url, inc.id, { user: 'ben' });
        await onB.next('welcome');
        // Everything B has sent reaches A before the database goes: B's frames arrive in order, so A hearing this
        // message has heard the incident's creation too. A frame still in flight at the cut is one A missed, and A
        // then rightly closes its sockets; the fresh-clone CI run of 2026-12-01 lost that race on a loaded machine.
        onB.send({ user: 'ben', message: 'before the cut' });
        expect((await onA.next('message', undefined, 10_000)).message).toBe('before the cut');
        // B has sent frames before (the incident's creation, the message) and heartbeats throughout.
        await proxy.down();
        await new Promise((r) => setTimeout(r, 2500));
        await proxy.up();
        await new Promise((r) => setTimeout(r, 2000));
        onA.send({ type: 'ping' });
        await onA.next('pong');
        onB.send({ user: 'ben', message: 'still here?' });
        expect((await onA.next('message', undefined, 10_000)).message).toBe('still here?');
        expect(onA.ws.readyState).toBe(onA.ws.OPEN);
        await Promise.all([onA.close(), onB.close()]);
      } finally {
        await proxy.up();
        await a.stop();
        await b.stop();
      }
    }, 60_000);

    it('closes with 1011 and says why when the database goes away before the welcome', async () => {
      const inc = await createIncident(s);
      // Cut the database the moment the socket joins its room, after the upgrade's own check.
      const hub = s.hub;
      const join = hub.join.bind(hub);
      hub.join = (room, member) => {
        hub.join = join;
        void proxy.down();
        join(room, member);
      };
      try {
        const a = await connectRoom(s.url, inc.id);
        expect(await a.closed).toEqual({ code: 1011, reason: 'database unavailable; reconnect shortly' });
        expect(a.frames).toHaveLength(0);
      } finally {
        hub.join = join;
        await proxy.up();
      }
      const b = await connectRoom(s.url, inc.id);
      expect((await b.next('welcome', undefined, 15_000)).incident.id).toBe(inc.id);
      await b.close();
    }, 40_000);
  },
);
