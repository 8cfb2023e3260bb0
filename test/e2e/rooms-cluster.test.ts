// Two warroom server processes on one PostgreSQL share incident rooms through LISTEN/NOTIFY.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUS_APPLICATION_NAME } from '../../src/rooms/pg-bus.js';
import { POSTGRES_URL, createScratchDatabase } from '../integration/harness.js';
import { spawnPresenceInstance, spawnWarroom, type WarroomProcess } from './process.js';
import { connectRoom } from '../integration/ws-client.js';

const SKIP_REASON = 'needs a PostgreSQL server: set TEST_DATABASE_URL (CI does)';

describe.skipIf(!POSTGRES_URL)(
  `two instances on one PostgreSQL${POSTGRES_URL ? '' : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    let a: WarroomProcess;
    let b: WarroomProcess;
    let drop: () => Promise<void>;
    let dbUrl: string;

    beforeAll(async () => {
      const scratch = await createScratchDatabase(POSTGRES_URL ?? '');
      drop = scratch.drop;
      dbUrl = scratch.url;
      [a, b] = await Promise.all([spawnWarroom({ DATABASE_URL: dbUrl }), spawnWarroom({ DATABASE_URL: dbUrl })]);
    });
    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      await drop?.();
    });

    const createIncident = async (w: WarroomProcess): Promise<{ id: string }> => {
      const res = await w.api('/api/incidents/', { json: { title: 'cluster test' } });
      return (await res.json()) as { id: string };
    };

    it('delivers chat sent on A to sockets on B, in order', async () => {
      const inc = await createIncident(a);
      const onA = await connectRoom(a.url, inc.id, { user: 'ann' });
      const onB = await connectRoom(b.url, inc.id, { user: 'ben' });
      await Promise.all([onA.next('welcome'), onB.next('welcome')]);
      expect(await onA.next('presence', (f) => f.user === 'ben')).toMatchObject({
        action: 'join',
        present: ['ann', 'ben'],
      });

      for (let i = 0; i < 15; i++) onA.send({ user: 'ann', message: `m${i}` });
      const got: string[] = [];
      for (let i = 0; i < 15; i++) got.push((await onB.next('message')).message);
      expect(got).toEqual(Array.from({ length: 15 }, (_, i) => `m${i}`));
      await Promise.all([onA.close(), onB.close()]);
    });

    it('pushes changes made through B (REST) to sockets on A, including a 1000-event batch', async () => {
      const inc = await createIncident(b);
      const onA = await connectRoom(a.url, inc.id);
      await onA.next('welcome');
      await b.api(`/api/incidents/${inc.id}/status?status=investigating`, { method: 'PATCH' });
      expect((await onA.next('incident.updated', (f) => f.incident.status === 'investigating')).incident.id).toBe(
        inc.id,
      );
      const batch = Array.from({ length: 1000 }, (_, i) => ({
        incident_id: inc.id,
        event_type: 'log',
        message: `e${i}`,
      }));
      expect((await b.api('/api/ingest/events/batch', { json: batch })).status).toBe(201);
      // Far over NOTIFY's 8000-byte payload limit: the frame travels as its row ranges and A loads the rows.
      const frame = await onA.next('event.created');
      expect(frame.events.map((e) => e.message)).toEqual(batch.map((e) => e.message));
      const admin = new pg.Client({ connectionString: dbUrl });
      await admin.connect();
      try {
        expect((await admin.query('select count(*)::int as n from room_frames')).rows[0]).toEqual({ n: 0 });
      } finally {
        await admin.end();
      }
      await onA.close();
    });

    it('keeps rooms apart across instances', async () => {
      const one = await createIncident(a);
      const two = await createIncident(a);
      const inOne = await connectRoom(b.url, one.id);
      const inTwo = await connectRoom(b.url, two.id);
      await Promise.all([inOne.next('welcome'), inTwo.next('welcome')]);
      const sender = await connectRoom(a.url, one.id);
      await sender.next('welcome');
      sender.send({ user: 'x', message: 'only for room one' });
      expect((await inOne.next('message')).message).toBe('only for room one');
      inTwo.send({ type: 'ping' });
      await inTwo.next('pong');
      expect(inTwo.frames.some((f) => f.type === 'message')).toBe(false);
      await Promise.all([inOne.close(), inTwo.close(), sender.close()]);
    });

    it('shows users of another instance, to a new instance too, and expires them when it is killed', async () => {
      // B's period is long: C learns B's users because B answers C's first heartbeat, not from B's own period.
      const timeoutMs = 2500;
      const b2 = await spawnPresenceInstance({ DATABASE_URL: dbUrl }, { heartbeatMs: 800, timeoutMs });
      let c: WarroomProcess | undefined;
      try {
        const inc = await createIncident(b2);
        const onB = await connectRoom(b2.url, inc.id, { user: 'bo' });
        await onB.next('welcome');
        c = await spawnPresenceInstance({ DATABASE_URL: dbUrl }, { heartbeatMs: 100, timeoutMs });
        const watcher = await connectRoom(c.url, inc.id);
        const welcome = await watcher.next('welcome');
        if (!welcome.present.includes('bo')) await watcher.next('presence', (f) => f.user === 'bo', 500);

        // A graceful stop says goodbye at once; a crash (SIGKILL: no leave, no more heartbeats) expires.
        const onC = await connectRoom(c.url, inc.id, { user: 'cy' });
        await onB.next('presence', (f) => f.user === 'cy');
        b2.child.kill('SIGKILL');
        const killedAt = Date.now();
        const leave = await watcher.next('presence', (f) => f.user === 'bo', timeoutMs + 3000);
        expect(leave).toEqual({ type: 'presence', action: 'leave', user: 'bo', present: ['cy'] });
        expect(Date.now() - killedAt).toBeGreaterThan(timeoutMs - 900);
        const late = await connectRoom(c.url, inc.id);
        expect((await late.next('welcome')).present).toEqual(['cy']);
        await Promise.all([watcher.close(), onC.close(), late.close()]);
      } finally {
        await b2.stop();
        await c?.stop();
      }
    }, 30_000);

    it('announces the users of a gracefully stopped instance at once', async () => {
      const d = await spawnPresenceInstance({ DATABASE_URL: dbUrl }, { heartbeatMs: 100, timeoutMs: 60_000 });
      try {
        const inc = await createIncident(a);
        const onA = await connectRoom(a.url, inc.id);
        await onA.next('welcome');
        const onD = await connectRoom(d.url, inc.id, { user: 'dee' });
        await onA.next('presence', (f) => f.user === 'dee' && f.action === 'join');
        expect(await d.stop()).toBe(0);
        expect(await onA.next('presence', (f) => f.user === 'dee', 3000)).toMatchObject({ action: 'leave' });
        await Promise.all([onA.close(), onD.closed]);
      } finally {
        await d.stop();
      }
    }, 30_000);

    it('reconnects and re-subscribes when the listener connection is killed', async () => {
      const admin = new pg.Client({ connectionString: dbUrl });
      await admin.connect();
      try {
        const killed = await admin.query<{ pid: number }>(
          `select pid, pg_terminate_backend(pid) from pg_stat_activity
           where application_name = $1 and datname = current_database()`,
          [BUS_APPLICATION_NAME],
        );
        expect(killed.rowCount).toBe(2);
        // Both buses listening again before anyone joins: a socket that joined before its instance's listener came
        // back is closed on the gap it then sees (1012, by design), and would hear nothing more. On a loaded machine
        // the listener can come back after the joins below. A new bus connection has listened once its last statement
        // is its LISTEN or a NOTIFY (which the bus sends only on a listening connection): its presence heartbeat, every
        // 10 s, replaces the LISTEN there, so waiting for two LISTENs at once failed when a heartbeat came first.
        const killedPids = killed.rows.map((r) => r.pid);
        await expect
          .poll(
            async () =>
              (
                await admin.query(
                  `select count(*)::int as n from pg_stat_activity
                   where application_name = $1 and datname = current_database() and pid <> all($2::int[])
                     and (query ilike 'listen %' or query ilike 'select pg_notify%')`,
                  [BUS_APPLICATION_NAME, killedPids],
                )
              ).rows[0]?.n,
            { timeout: 20_000 },
          )
          .toBe(2);
      } finally {
        await admin.end();
      }
      const inc = await createIncident(a);
      const onA = await connectRoom(a.url, inc.id);
      const onB = await connectRoom(b.url, inc.id);
      await Promise.all([onA.next('welcome'), onB.next('welcome')]);
      // The buses reconnect in the background; keep saying something until B hears A.
      let heard = false;
      for (let i = 0; i < 50 && !heard; i++) {
        onA.send({ user: 'x', message: `after reconnect ${i}` });
        heard = await onB.next('message', undefined, 200).then(
          () => true,
          () => false,
        );
      }
      expect(heard).toBe(true);
      await Promise.all([onA.close(), onB.close()]);
    });
  },
);
