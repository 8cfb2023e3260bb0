// Incident rooms over real WebSockets: chat, live pushes, presence, isolation, limits, pings and the SSE subscription.
import { createTRPCClient, httpSubscriptionLink, splitLink, httpBatchLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../schema/index.js';
import type { AppRouter } from '../../src/index.js';
import { DB_LABEL, createIncident, startTestServer, type ListeningTestServer } from './harness.js';
import { connectRoom, upgradeStatus, wsUrl } from './ws-client.js';

let s: ListeningTestServer;
beforeAll(async () => {
  s = await startTestServer({}, { pingIntervalMs: 300 });
});
afterAll(() => s.stop());

const MISSING = '123e4567-e89b-12d3-a456-426614174000';

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !cond();) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Holds back the welcome of the next socket to join `roomId` (it reads timeline_entries) until the returned function
 * is called: another session locks the table (the upgrade's own check reads only incidents).
 */
async function holdWelcome(): Promise<() => Promise<void>> {
  const admin = new pg.Client({ connectionString: s.database.url });
  await admin.connect();
  await admin.query('begin');
  await admin.query('lock table timeline_entries in access exclusive mode');
  return async () => {
    await admin.query('rollback');
    await admin.end();
  };
}

describe(`incident rooms (${DB_LABEL})`, () => {
  it('refuses unknown and malformed incident ids with 404 on the upgrade', async () => {
    expect(await upgradeStatus(wsUrl(s.url, MISSING))).toBe(404);
    expect(await upgradeStatus(wsUrl(s.url, 'not-a-uuid'))).toBe(404);
    const inc = await createIncident(s);
    expect(await upgradeStatus(wsUrl(s.url, inc.id))).toBe(101);
    expect((await s.api(`/ws/incidents/${inc.id}`)).status).toBe(426);
    // With a trailing slash too, as every REST path is answered (it was a 404); one slash, not two.
    const slashed = `${s.url.replace(/^http/, 'ws')}/ws/incidents/${inc.id}/`;
    expect(await upgradeStatus(slashed)).toBe(101);
    expect(await upgradeStatus(`${slashed}/`)).toBe(404);
    expect(await upgradeStatus(`${s.url.replace(/^http/, 'ws')}/ws/incidents/${MISSING}/`)).toBe(404);
    expect((await s.api(`/ws/incidents/${inc.id}/`)).status).toBe(426);
  });

  it('welcomes with the incident, its recent timeline and who is present', async () => {
    const inc = await createIncident(s);
    const alice = await connectRoom(s.url, inc.id, { user: 'alice' });
    const welcome = await alice.next('welcome');
    expect(welcome.incident.id).toBe(inc.id);
    expect(welcome.timeline[0]?.entry_type).toBe('system_event');
    expect(alice.frames[0]?.type).toBe('welcome');
    const bob = await connectRoom(s.url, inc.id, { user: 'bob' });
    expect((await bob.next('welcome')).present).toEqual(['alice', 'bob']);
    await alice.close();
    await bob.close();
  });

  it('broadcasts chat to everyone in the room, stores it as a comment, and keeps other rooms out', async () => {
    const inc = await createIncident(s);
    const other = await createIncident(s);
    const a = await connectRoom(s.url, inc.id);
    const b = await connectRoom(s.url, inc.id);
    const c = await connectRoom(s.url, other.id);
    await Promise.all([a.next('welcome'), b.next('welcome'), c.next('welcome')]);

    a.send({ user: '  John Doe ', message: 'Investigating the issue...' });
    const atB = await b.next('message');
    const atA = await a.next('message');
    expect(atB).toEqual(atA);
    expect(atB).toMatchObject({ incident_id: inc.id, user: 'John Doe', message: 'Investigating the issue...' });

    const timeline = (await (await s.api(`/api/incidents/${inc.id}/timeline`)).json()) as {
      entry_type: string;
      actor: string;
      description: string;
      id: string;
    }[];
    const comment = timeline.find((t) => t.entry_type === 'comment');
    expect(comment).toMatchObject({ actor: 'John Doe', description: 'Investigating the issue...', id: atB.id });

    // A pasted trace keeps its first line's indent; trailing whitespace goes; only whitespace is refused.
    a.send({ message: '    at Pool.connect (pool.js:42)\n    at main (app.js:7)  \n' });
    expect(await b.next('message')).toMatchObject({
      message: '    at Pool.connect (pool.js:42)\n    at main (app.js:7)',
    });
    a.send({ message: ' \n\t ' });
    expect(await a.next('error')).toMatchObject({ message: expect.stringContaining('message must not be empty') });

    // The third socket, in another room, sees nothing of it.
    c.send({ type: 'ping' });
    await c.next('pong');
    expect(c.frames.filter((f) => f.type === 'message')).toHaveLength(0);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('is one room whatever case the URL spells the incident id in', async () => {
    const inc = await createIncident(s);
    const upper = await connectRoom(s.url, inc.id.toUpperCase(), { user: 'upper' });
    const lower = await connectRoom(s.url, inc.id, { user: 'lower' });
    expect((await upper.next('welcome')).incident.id).toBe(inc.id);
    await lower.next('welcome');
    await s.api('/api/ingest/events', { json: { incident_id: inc.id.toUpperCase(), event_type: 'log', message: 'x' } });
    expect((await upper.next('event.created')).incident_id).toBe(inc.id);
    expect((await lower.next('event.created')).incident_id).toBe(inc.id);
    upper.send({ user: 'upper', message: 'heard on both' });
    expect((await lower.next('message')).message).toBe('heard on both');
    expect(s.hub.present(inc.id)).toEqual(['lower', 'upper']);
    await Promise.all([upper.close(), lower.close()]);
  });

  it('pushes status changes, single ingests and a batch of 1000 as one frame', async () => {
    const inc = await createIncident(s);
    const r = await connectRoom(s.url, inc.id);
    await r.next('welcome');

    await s.api(`/api/incidents/${inc.id}/status?status=investigating&actor=alice`, { method: 'PATCH' });
    // Analysis frames (on create) may arrive in between; wait for the ones this change makes.
    expect((await r.next('incident.updated', (f) => f.incident.status === 'investigating')).incident.id).toBe(inc.id);
    expect((await r.next('timeline.created', (f) => f.entry.entry_type === 'status_change')).entry).toMatchObject({
      actor: 'alice',
    });

    await s.api('/api/ingest/events', { json: { incident_id: inc.id, event_type: 'log', message: 'one' } });
    expect((await r.next('event.created')).events.map((e) => e.message)).toEqual(['one']);

    const batch = Array.from({ length: 1000 }, (_, i) => ({
      incident_id: inc.id,
      event_type: 'log',
      message: `m${i}`,
    }));
    expect((await s.api('/api/ingest/events/batch', { json: batch })).status).toBe(201);
    const frame = await r.next('event.created');
    expect(frame.events).toHaveLength(1000);
    await new Promise((res) => setTimeout(res, 200));
    expect(r.frames.filter((f) => f.type === 'event.created')).toHaveLength(2);
    await r.close();
  });

  it('announces joins and leaves, once per user name', async () => {
    const inc = await createIncident(s);
    const watcher = await connectRoom(s.url, inc.id);
    await watcher.next('welcome');
    const carol = await connectRoom(s.url, inc.id, { user: 'carol' });
    expect(await watcher.next('presence')).toEqual({
      type: 'presence',
      action: 'join',
      user: 'carol',
      present: ['carol'],
    });
    const carol2 = await connectRoom(s.url, inc.id, { user: 'carol' });
    await carol2.next('welcome');
    // A user named by the first chat message joins then.
    watcher.send({ user: 'dave', message: 'hi' });
    expect(await watcher.next('presence')).toMatchObject({ action: 'join', user: 'dave', present: ['carol', 'dave'] });
    await carol.close();
    await carol2.close();
    expect(await watcher.next('presence')).toMatchObject({ action: 'leave', user: 'carol', present: ['dave'] });
    expect(
      watcher.frames.filter((f) => f.type === 'presence' && f.user === 'carol' && f.action === 'join'),
    ).toHaveLength(1);
    await watcher.close();
  });

  it('answers bad frames with an error frame on that socket only, and stays open', async () => {
    const inc = await createIncident(s);
    const a = await connectRoom(s.url, inc.id);
    const b = await connectRoom(s.url, inc.id);
    await Promise.all([a.next('welcome'), b.next('welcome')]);
    a.send('{not json');
    expect(await a.next('error')).toMatchObject({ code: 'invalid_json' });
    a.send({ user: '', message: 'x' });
    expect((await a.next('error')).message).toContain('user');
    // A missing field is named, not "Invalid input" (the frame is checked as chat, not against the union).
    a.send({ message: 'x' });
    expect((await a.next('error')).message).toBe(
      'expected {"user", "message"}: user: user is missing (or connect with ?user=)',
    );
    a.send({ type: 'message', user: 'x' });
    expect((await a.next('error')).message).toBe('expected {"user", "message"}: message: message is missing');
    a.send({ user: 'x', message: 'y'.repeat(4001) });
    expect((await a.next('error')).message).toContain('4000');
    a.send([1, 2, 3]);
    expect(await a.next('error')).toMatchObject({ code: 'invalid_frame' });
    a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await a.next('error')).toMatchObject({ code: 'invalid_frame' });
    a.send({ user: 'ok', message: 'still here' });
    expect((await b.next('message')).message).toBe('still here');
    expect(b.frames.some((f) => f.type === 'error')).toBe(false);
    await Promise.all([a.close(), b.close()]);
  });

  it("keeps a socket's name: a message under another name is refused, named by ?user= or by its first message", async () => {
    const inc = await createIncident(s);
    const named = await connectRoom(s.url, inc.id, { user: 'alice' });
    const unnamed = await connectRoom(s.url, inc.id);
    const watcher = await connectRoom(s.url, inc.id);
    await Promise.all([named.next('welcome'), unnamed.next('welcome'), watcher.next('welcome')]);
    named.send({ user: 'bob', message: 'as bob' });
    expect(await named.next('error')).toEqual({
      type: 'error',
      code: 'invalid_frame',
      message: 'this socket speaks as "alice"; connect again to speak as "bob"',
    });
    // Trimmed as stored: ' alice ' is alice.
    named.send({ user: ' alice ', message: 'as alice' });
    expect(await watcher.next('message')).toMatchObject({ user: 'alice', message: 'as alice' });
    unnamed.send({ user: 'carol', message: 'first' });
    expect(await watcher.next('message')).toMatchObject({ user: 'carol', message: 'first' });
    // Once named, a frame may leave `user` out.
    named.send({ message: 'no user field' });
    expect(await watcher.next('message')).toMatchObject({ user: 'alice', message: 'no user field' });
    unnamed.send({ user: 'dave', message: 'second' });
    expect((await unnamed.next('error')).message).toBe(
      'this socket speaks as "carol"; connect again to speak as "dave"',
    );
    const timeline = (await (await s.api(`/api/incidents/${inc.id}/timeline`)).json()) as {
      entry_type: string;
      description: string;
    }[];
    expect(timeline.filter((t) => t.entry_type === 'comment').map((t) => t.description)).toEqual([
      'as alice',
      'first',
      'no user field',
    ]);
    await Promise.all([named.close(), unnamed.close(), watcher.close()]);
  });

  it('closes with 1009 on a frame over 16 KiB and stores nothing', async () => {
    const inc = await createIncident(s);
    const a = await connectRoom(s.url, inc.id);
    await a.next('welcome');
    a.send({ user: 'x', message: 'z'.repeat(17 * 1024) });
    expect((await a.closed).code).toBe(1009);
    const timeline = (await (await s.api(`/api/incidents/${inc.id}/timeline`)).json()) as { entry_type: string }[];
    expect(timeline.filter((t) => t.entry_type === 'comment')).toHaveLength(0);
  });

  it('sends error frames past 20 frames a second, then closes with 1008', async () => {
    const inc = await createIncident(s);
    const a = await connectRoom(s.url, inc.id);
    await a.next('welcome');
    for (let i = 0; i < 40; i++) a.send({ type: 'ping' });
    const closed = await a.closed;
    expect(closed.code).toBe(1008);
    const errors = a.frames.filter((f) => f.type === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatchObject({ code: 'rate_limited' });
    expect(a.frames.filter((f) => f.type === 'pong').length).toBeLessThanOrEqual(20);
  });

  it('answers frames sent before the welcome after it: the welcome is always the first frame', async () => {
    const inc = await createIncident(s);
    const release = await holdWelcome();
    let early: Awaited<ReturnType<typeof connectRoom>> | undefined;
    try {
      early = await connectRoom(s.url, inc.id, { user: 'early' });
      await until(() => s.hub.present(inc.id).includes('early'));
      early.send('not json');
      early.send({ user: 'early' });
      early.send({ type: 'ping' });
      await new Promise((r) => setTimeout(r, 200));
      // Refusals and pongs included, nothing goes out before the welcome.
      expect(early.frames).toHaveLength(0);
    } finally {
      await release();
    }
    await early.next('pong');
    expect(early.frames[0]?.type).toBe('welcome');
    const answers = early.frames
      .filter((f) => f.type === 'error' || f.type === 'pong')
      .map((f) => (f.type === 'error' ? f.code : f.type));
    expect(answers).toEqual(['invalid_json', 'invalid_frame', 'pong']);
    await early.close();
  });

  it('closes with 1013 a socket that falls 8 MiB behind before its welcome is sent', async () => {
    const inc = await createIncident(s);
    const release = await holdWelcome();
    let slow: Awaited<ReturnType<typeof connectRoom>> | undefined;
    try {
      slow = await connectRoom(s.url, inc.id, { user: 'slow' });
      await until(() => s.hub.present(inc.id).includes('slow'));
      // 10 MiB for the room while this socket's welcome waits on the database.
      const big = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 10; i++) s.hub.broadcast(inc.id, { type: 'error', code: 'test', message: big });
      const timeout = new Promise<{ code: number }>((r) => setTimeout(() => r({ code: -1 }), 5000));
      expect((await Promise.race([slow.closed, timeout])).code).toBe(1013);
    } finally {
      await release();
    }
    expect(slow.frames).toHaveLength(0);
    // The process is fine: a new socket is welcomed, and the welcome of the dropped one went nowhere.
    const next = await connectRoom(s.url, inc.id, { user: 'next' });
    expect((await next.next('welcome')).present).toEqual(['next']);
    expect((await s.api('/health')).status).toBe(200);
    await next.close();
  });

  it('drops a socket that stops answering pings', async () => {
    const inc = await createIncident(s);
    const dead = await connectRoom(s.url, inc.id, { autoPong: false });
    await dead.next('welcome');
    const alive = await connectRoom(s.url, inc.id);
    await alive.next('welcome');
    const closed = await dead.closed;
    expect(closed.code).toBe(1006);
    expect(alive.ws.readyState).toBe(alive.ws.OPEN);
    await alive.close();
  });

  it('lets a client reconnect and catch up from the welcome timeline', async () => {
    const inc = await createIncident(s);
    const a = await connectRoom(s.url, inc.id, { user: 'erin' });
    await a.next('welcome');
    a.send({ user: 'erin', message: 'before the drop' });
    await a.next('message');
    a.ws.terminate();
    await a.closed;
    const again = await connectRoom(s.url, inc.id, { user: 'erin' });
    const welcome = await again.next('welcome');
    expect(welcome.timeline.map((t) => t.description)).toContain('before the drop');
    expect(welcome.present).toEqual(['erin']);
    again.send({ user: 'erin', message: 'after' });
    expect((await again.next('message')).message).toBe('after');
    await again.close();
  });

  it('serves the same frames through the tRPC subscription incidents.onUpdate (SSE)', async () => {
    const inc = await createIncident(s);
    const client = createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({ url: `${s.url}/trpc`, EventSource }),
          false: httpBatchLink({ url: `${s.url}/trpc` }),
        }),
      ],
    });
    const frames: ServerFrame[] = [];
    let resolveGot: () => void = () => undefined;
    const got = new Promise<void>((r) => (resolveGot = r));
    const sub = client.incidents.onUpdate.subscribe(
      { incident_id: inc.id },
      {
        onData: (f) => {
          frames.push(f);
          // incident.updated comes first, then the status_change entry: wait for the second.
          if (f.type === 'timeline.created' && f.entry.entry_type === 'status_change') resolveGot();
          if (f.type === 'welcome')
            void client.incidents.updateStatus.mutate({ incident_id: inc.id, status: 'identified' });
        },
      },
    );
    await got;
    sub.unsubscribe();
    expect(frames[0]?.type).toBe('welcome');
    const updates = frames.filter((f) => f.type === 'incident.updated');
    expect(updates.some((f) => f.type === 'incident.updated' && f.incident.status === 'identified')).toBe(true);
  });

  it('counts connections and messages in /metrics', async () => {
    const inc = await createIncident(s);
    const a = await connectRoom(s.url, inc.id);
    await a.next('welcome');
    const text = await (await s.api('/metrics')).text();
    expect(text).toMatch(/^ws_connections [1-9]\d*$/m);
    expect(text).toMatch(/^ws_messages_total\{direction="in"\} [1-9]\d*$/m);
    expect(text).toMatch(/^ws_messages_total\{direction="out"\} [1-9]\d*$/m);
    expect(text).toMatch(/^ws_broadcast_fanout_seconds_count [1-9]\d*$/m);
    await a.close();
  });
});
