// The room hub: who is in which incident room on this instance, and delivery of frames to them, local and remote.
import type { ServerFrame } from '../../schema/index.js';
import type { Change, ChangeSink } from '../domain/changes.js';
import type { Metrics } from '../metrics.js';
import type { FrameRef, RoomBus } from './bus.js';
import { changeToFrame } from './frames.js';

/** A socket in a room, as the hub sees it. */
export interface RoomMember {
  user: string | undefined;
  send(data: string): void;
  /** Bytes queued but not yet written to the network. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

export type FrameListener = (frame: ServerFrame) => void;

/** A consumer this far behind is dropped rather than letting its queue grow without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

class Room {
  readonly members = new Set<RoomMember>();
  readonly listeners = new Set<FrameListener>();
  readonly localUsers = new Map<string, number>();
  /** Users present on other instances, by instance. */
  readonly remoteUsers = new Map<string, Map<string, number>>();

  present(): string[] {
    const all = new Set(this.localUsers.keys());
    for (const users of this.remoteUsers.values()) for (const u of users.keys()) all.add(u);
    return [...all].sort();
  }

  get empty(): boolean {
    return this.members.size === 0 && this.listeners.size === 0 && this.remoteUsers.size === 0;
  }
}

function countUp(map: Map<string, number>, user: string): boolean {
  const n = map.get(user) ?? 0;
  map.set(user, n + 1);
  return n === 0;
}
function countDown(map: Map<string, number>, user: string): boolean {
  const n = map.get(user) ?? 0;
  if (n <= 1) {
    map.delete(user);
    return n === 1;
  }
  map.set(user, n - 1);
  return false;
}

export class RoomHub implements ChangeSink {
  private readonly rooms = new Map<string, Room>();
  private queue: Array<[string, ServerFrame]> = [];
  private flushScheduled = false;

  constructor(
    private readonly bus: RoomBus,
    private readonly metrics: Metrics,
  ) {
    bus.subscribe(
      (room, frame, origin) => this.fromBus(room, frame, origin),
      (room) => {
        const r = this.rooms.get(room);
        return r !== undefined && (r.members.size > 0 || r.listeners.size > 0);
      },
    );
  }

  /** ChangeSink: committed changes become frames in the incident's room, here and on every other instance. */
  publish(change: Change): void {
    const ref = change.type === 'event.created' ? { eventSeqRanges: change.seq_ranges } : undefined;
    this.broadcast(change.incident_id, changeToFrame(change), ref);
  }

  /** Sends a frame to everyone in the room on every instance. Returns at once; delivery happens off this tick. */
  broadcast(roomId: string, frame: ServerFrame, ref?: FrameRef): void {
    this.enqueue(roomId, frame);
    this.bus.publish(roomId, frame, ref);
  }

  join(roomId: string, member: RoomMember): void {
    this.room(roomId).members.add(member);
    this.metrics.wsConnections.inc();
    if (member.user) this.identify(roomId, member, member.user);
  }

  /** Names a member (from `?user=` or its first chat message) and announces the join once per user name. */
  identify(roomId: string, member: RoomMember, user: string): void {
    const room = this.room(roomId);
    member.user = user;
    if (countUp(room.localUsers, user)) this.broadcast(roomId, { type: 'presence', action: 'join', user, present: [] });
  }

  leave(roomId: string, member: RoomMember): void {
    const room = this.rooms.get(roomId);
    if (!room || !room.members.delete(member)) return;
    this.metrics.wsConnections.dec();
    if (member.user && countDown(room.localUsers, member.user)) {
      this.broadcast(roomId, { type: 'presence', action: 'leave', user: member.user, present: [] });
    }
    if (room.empty) this.rooms.delete(roomId);
  }

  present(roomId: string): string[] {
    return this.rooms.get(roomId)?.present() ?? [];
  }

  /** Receives every frame of a room (the tRPC subscription uses this); returns the unsubscribe function. */
  listen(roomId: string, listener: FrameListener): () => void {
    const room = this.room(roomId);
    room.listeners.add(listener);
    return () => {
      room.listeners.delete(listener);
      if (room.empty) this.rooms.delete(roomId);
    };
  }

  /** Closes every socket (1001 going away) and leaves the bus. */
  async close(): Promise<void> {
    for (const room of this.rooms.values()) {
      for (const m of room.members) m.close(1001, 'server shutting down');
    }
    this.flush();
    await this.bus.close();
  }

  private room(roomId: string): Room {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = new Room();
      this.rooms.set(roomId, room);
    }
    return room;
  }

  private fromBus(roomId: string, frame: ServerFrame, origin: string): void {
    if (frame.type === 'presence') {
      const room = this.room(roomId);
      let users = room.remoteUsers.get(origin);
      if (!users) room.remoteUsers.set(origin, (users = new Map()));
      if (frame.action === 'join') countUp(users, frame.user);
      else countDown(users, frame.user);
      if (users.size === 0) room.remoteUsers.delete(origin);
    }
    this.enqueue(roomId, frame);
  }

  private enqueue(roomId: string, frame: ServerFrame): void {
    this.queue.push([roomId, frame]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // setImmediate: the request that made the change answers first; fan-out never sits on its path.
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const queue = this.queue;
    this.queue = [];
    for (const [roomId, frame] of queue) this.deliver(roomId, frame);
  }

  private deliver(roomId: string, frame: ServerFrame): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    const start = performance.now();
    // Presence frames carry the room's roster as this instance sees it at delivery time.
    const out: ServerFrame = frame.type === 'presence' ? { ...frame, present: room.present() } : frame;
    const data = JSON.stringify(out);
    for (const m of room.members) {
      if (m.bufferedAmount() > MAX_BUFFERED_BYTES) {
        m.close(1013, 'client too slow; reconnect');
        continue;
      }
      m.send(data);
    }
    if (room.members.size > 0) this.metrics.wsMessages.inc({ direction: 'out' }, room.members.size);
    for (const l of room.listeners) l(out);
    if (room.members.size > 0) this.metrics.broadcastSeconds.observe((performance.now() - start) / 1000);
    if (room.empty) this.rooms.delete(roomId);
  }
}
