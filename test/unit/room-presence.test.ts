// Presence across instances on the in-process bus: heartbeats teach a new instance who is present, and the users of
// an instance that stops (without saying goodbye) leave after the timeout.
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../schema/index.js';
import { createMetrics } from '../../src/metrics.js';
import { InProcessBus, type RoomBus } from '../../src/rooms/bus.js';
import { RoomHub, type RoomMember } from '../../src/rooms/hub.js';
import { heartbeatPayloads } from '../../src/rooms/pg-bus.js';

const ROOM = '123e4567-e89b-12d3-a456-426614174000';
const FAST = { heartbeatMs: 20, presenceTimeoutMs: 150 };

function member(user?: string): RoomMember & { frames: ServerFrame[] } {
  const frames: ServerFrame[] = [];
  return {
    user,
    frames,
    send: (data) => frames.push(JSON.parse(data) as ServerFrame),
    bufferedAmount: () => 0,
    close: () => undefined,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(5)) {
    if (Date.now() > end) throw new Error('condition not met in time');
  }
}

const hubs: RoomHub[] = [];
function hub(bus: RoomBus, opts: Partial<typeof FAST> = {}): RoomHub {
  const h = new RoomHub(bus, createMetrics({ defaultMetrics: false }), { ...FAST, ...opts });
  hubs.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

describe('presence across instances (in-process bus)', () => {
  it('a new instance learns who is present, and an instance that goes silent loses its users', async () => {
    const bus = new InProcessBus();
    const bBus = bus.join();
    const b = hub(bBus);
    b.join(ROOM, member('bob'));
    // A starts after bob joined B.
    const a = hub(bus.join());
    const watcher = member();
    a.join(ROOM, watcher);
    await until(() => watcher.frames.length > 0);
    expect(watcher.frames).toContainEqual({ type: 'presence', action: 'join', user: 'bob', present: ['bob'] });

    // Several periods later bob is still there: the heartbeats keep him.
    await sleep(FAST.presenceTimeoutMs * 2);
    expect(a.present(ROOM)).toEqual(['bob']);

    // B "crashes": its bus goes silent without announcing any leave.
    await bBus.close();
    const start = Date.now();
    await until(() => !a.present(ROOM).includes('bob'), FAST.presenceTimeoutMs * 4);
    expect(Date.now() - start).toBeGreaterThanOrEqual(FAST.presenceTimeoutMs - 2 * FAST.heartbeatMs);
    await until(() => watcher.frames.some((f) => f.type === 'presence' && f.action === 'leave'));
    expect(watcher.frames.at(-1)).toEqual({ type: 'presence', action: 'leave', user: 'bob', present: [] });
  });

  it('announces a user once across instances: a second socket on another instance is no join, its close no leave', async () => {
    // The walkthrough: one key in the room through two instances; the watcher heard a second join, then a leave
    // while the user was still there through the other instance.
    const bus = new InProcessBus();
    const a = hub(bus.join(), { heartbeatMs: 60_000, presenceTimeoutMs: 180_000 });
    const b = hub(bus.join(), { heartbeatMs: 60_000, presenceTimeoutMs: 180_000 });
    const watcherA = member();
    const watcherB = member();
    a.join(ROOM, watcherA);
    b.join(ROOM, watcherB);
    const presence = (w: { frames: ServerFrame[] }) =>
      w.frames.flatMap((f) => (f.type === 'presence' ? [`${f.action} ${f.user} [${f.present.join(',')}]`] : []));

    const kimOnA = member('kim');
    a.join(ROOM, kimOnA);
    await until(() => b.present(ROOM).includes('kim'));
    const kimOnB = member('kim');
    b.join(ROOM, kimOnB);
    const kimAgainOnB = member('kim');
    b.join(ROOM, kimAgainOnB);
    await sleep(30);
    b.leave(ROOM, kimOnB);
    b.leave(ROOM, kimAgainOnB);
    await sleep(30);
    expect(a.present(ROOM)).toEqual(['kim']);
    expect(b.present(ROOM)).toEqual(['kim']);
    a.leave(ROOM, kimOnA);
    await until(() => presence(watcherB).length === 2 && presence(watcherA).length === 2);
    await sleep(30);
    for (const w of [watcherA, watcherB]) expect(presence(w)).toEqual(['join kim [kim]', 'leave kim []']);

    // The other order: first on B, then on A; A's socket closes first.
    const lee1 = member('lee');
    b.join(ROOM, lee1);
    await until(() => a.present(ROOM).includes('lee'));
    const lee2 = member('lee');
    a.join(ROOM, lee2);
    await sleep(30);
    a.leave(ROOM, lee2);
    await sleep(30);
    expect(a.present(ROOM)).toEqual(['lee']);
    b.leave(ROOM, lee1);
    await until(() => presence(watcherA).length === 4 && presence(watcherB).length === 4);
    await sleep(30);
    for (const w of [watcherA, watcherB]) {
      expect(presence(w).slice(2)).toEqual(['join lee [lee]', 'leave lee []']);
    }
  });

  it('answers the first heartbeat of a new instance at once, not a period later', async () => {
    const bus = new InProcessBus();
    const b = hub(bus.join(), { heartbeatMs: 60_000, presenceTimeoutMs: 180_000 });
    b.join(ROOM, member('dan'));
    const a = hub(bus.join(), { heartbeatMs: 60_000, presenceTimeoutMs: 180_000 });
    await until(() => a.present(ROOM).includes('dan'), 200);
  });

  it('a graceful close announces leaves at once', async () => {
    const bus = new InProcessBus();
    const a = hub(bus.join());
    const b = hub(bus.join());
    const watcher = member();
    a.join(ROOM, watcher);
    b.join(ROOM, member('carol'));
    await until(() => a.present(ROOM).includes('carol'));
    await b.close();
    await until(() => !a.present(ROOM).includes('carol'), FAST.presenceTimeoutMs / 2);
  });

  it('does not expire users of an instance that never sent a heartbeat (an older version)', async () => {
    const bus = new InProcessBus();
    const a = hub(bus.join());
    const legacy = bus.join();
    legacy.subscribe(
      () => undefined,
      () => false,
    );
    legacy.publish(ROOM, { type: 'presence', action: 'join', user: 'old', present: [] });
    await until(() => a.present(ROOM).includes('old'));
    await sleep(FAST.presenceTimeoutMs * 2);
    expect(a.present(ROOM)).toEqual(['old']);
  });
});

describe('heartbeatPayloads', () => {
  it('fits each payload in the limit, splitting a long room, and sends one even with nobody present', () => {
    const origin = '00000000-0000-0000-0000-000000000000';
    expect(heartbeatPayloads(origin, [])).toEqual([`{"o":"${origin}","m":[],"h":[]}`]);
    const users = Array.from({ length: 300 }, (_, i) => `user-${i}-${'é'.repeat(40)}`);
    const payloads = heartbeatPayloads(origin, [
      [ROOM, users],
      ['other', ['x']],
    ]);
    expect(payloads.length).toBeGreaterThan(3);
    const seen: Array<[string, string]> = [];
    for (const p of payloads) {
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(7500);
      const env = JSON.parse(p) as { o: string; m: unknown[]; h: Array<[string, string[]]> };
      expect(env.o).toBe(origin);
      expect(env.m).toEqual([]);
      for (const [room, list] of env.h) for (const u of list) seen.push([room, u]);
    }
    expect(seen).toEqual([...users.map((u): [string, string] => [ROOM, u]), ['other', 'x']]);
  });
});
