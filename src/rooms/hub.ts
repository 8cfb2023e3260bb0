// The room hub: who is in which incident room on this instance, and delivery of frames to them, local and remote.
import type { Incident, ServerFrame } from '../../schema/index.js';
import type { Change, ChangeSink } from '../domain/changes.js';
import type { Metrics } from '../metrics.js';
import type { FrameRef, PresenceEntries, RoomBus } from './bus.js';
import { changeToFrame } from './frames.js';

/** A socket in a room, as the hub sees it. */
export interface RoomMember {
  user: string | undefined;
  send(data: string): void;
  /** Bytes queued but not yet written to the network. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

/** Receives a frame and the length of its JSON text (UTF-16 code units, about its bytes on the wire). */
export type FrameListener = (frame: ServerFrame, size: number) => void;
/** An incident that changed (`incident`: its new version, or undefined when the change was not read). */
export type IncidentChangeListener = (incidentId: string, incident: Incident | undefined) => void;

/** A consumer this far behind is dropped rather than letting its queue grow without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** How often an instance tells the others who is present on it. */
export const PRESENCE_HEARTBEAT_MS = 10_000;
/** A user another instance has not listed for this long (it crashed, or its `leave` was lost) has left. */
export const PRESENCE_TIMEOUT_MS = 30_000;

export interface RoomHubOptions {
  /** Interval of this instance's presence heartbeat; default PRESENCE_HEARTBEAT_MS. */
  heartbeatMs?: number;
  /** How long remote presence lasts without a heartbeat; default PRESENCE_TIMEOUT_MS. Several heartbeats long. */
  presenceTimeoutMs?: number;
  /** Told about an error while delivering a frame (the hub itself never throws into a timer). */
  onError?: (err: unknown) => void;
  /** Told when a gap in the bus closed this many sockets and ended this many streams (for the log). */
  onGap?: (closed: { sockets: number; streams: number }) => void;
}

class Room {
  readonly members = new Set<RoomMember>();
  readonly listeners = new Set<FrameListener>();
  readonly localUsers = new Map<string, number>();
  /** Users present on other instances, by instance, with when that instance last said so (performance.now()). */
  readonly remoteUsers = new Map<string, Map<string, number>>();

  /** Whether `user` is present on this instance or, as far as it knows, on any other. */
  has(user: string): boolean {
    if (this.localUsers.has(user)) return true;
    for (const users of this.remoteUsers.values()) if (users.has(user)) return true;
    return false;
  }

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

/**
 * Presence across instances: each instance sends a heartbeat listing its present users every `heartbeatMs`, in order
 * with its frames. A user another instance has not listed (or joined) within `presenceTimeoutMs` has left: the
 * instance crashed, or its `leave` frame was lost, and local members get that `leave`. A heartbeat from an instance
 * heard for the first time is answered at once, so a new instance learns who is present without waiting a period.
 * Instances that never send heartbeats (an older version in a rolling deploy) are trusted as before: no expiry.
 */
export class RoomHub implements ChangeSink {
  private readonly rooms = new Map<string, Room>();
  /** Listeners to incident.updated frames of every room (the console's incident list). */
  private readonly incidentWatchers = new Set<FrameListener>();
  private readonly changeWatchers = new Set<IncidentChangeListener>();
  /** Stream listeners told of gaps, with when each started (Date.now()). */
  private readonly gapWatchers = new Map<() => void, number>();
  /** When each socket joined (Date.now()): a gap closes only those that joined before the frames went missing. */
  private readonly joinedAt = new WeakMap<RoomMember, number>();
  private queue: Array<[string, ServerFrame]> = [];
  private flushScheduled = false;
  /** Instances that send heartbeats, with when the last one arrived. */
  private readonly heard = new Map<string, number>();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private heartbeatSoon = false;
  private readonly timeoutMs: number;
  private closed = false;
  private readonly shutdown = new AbortController();
  /**
   * Aborted when the hub closes: the tRPC subscriptions (SSE streams, src/rooms/subscription.ts) end on it, so an open
   * stream does not hold the server's graceful close open for its whole grace period.
   */
  readonly closing: AbortSignal = this.shutdown.signal;

  constructor(
    private readonly bus: RoomBus,
    private readonly metrics: Metrics,
    private readonly opts: RoomHubOptions = {},
  ) {
    this.timeoutMs = opts.presenceTimeoutMs ?? PRESENCE_TIMEOUT_MS;
    bus.subscribe(
      (room, frame, origin) => this.fromBus(room, frame, origin),
      (room, ref) => {
        const r = this.rooms.get(room);
        if (r !== undefined && (r.members.size > 0 || r.listeners.size > 0)) return true;
        // The incident feed takes incident.updated frames of every room. Event rows are never its business; a parked
        // frame (any frame too large to notify) might be an incident, so it is loaded while anyone watches the feed.
        if (ref !== 'parked') return false;
        if (this.incidentWatchers.size > 0) return true;
        // Left unread: whoever only needs to know that an incident may have changed hears so without the frame.
        for (const l of this.changeWatchers) l(room, undefined);
        return false;
      },
      (origin, present) => this.fromHeartbeat(origin, present),
      (since) => this.missedFrames(since),
    );
    this.heartbeatTimer = setInterval(() => {
      this.sendHeartbeat();
      this.expire();
    }, opts.heartbeatMs ?? PRESENCE_HEARTBEAT_MS);
    this.heartbeatTimer.unref();
    // The first heartbeat says "I am here"; the others answer with theirs.
    this.sendHeartbeat();
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
    this.joinedAt.set(member, Date.now());
    this.room(roomId).members.add(member);
    this.metrics.wsConnections.inc();
    if (member.user) this.identify(roomId, member, member.user);
  }

  /**
   * Names a member (from `?user=` or its first chat message). The other instances hear of the user's first socket
   * here (their rosters are per instance); sockets hear a join once per user name across every instance, so a user
   * already present on another instance joining here too is no news to them.
   */
  identify(roomId: string, member: RoomMember, user: string): void {
    const room = this.room(roomId);
    member.user = user;
    const news = !room.has(user);
    if (countUp(room.localUsers, user))
      this.announce(roomId, { type: 'presence', action: 'join', user, present: [] }, news);
  }

  leave(roomId: string, member: RoomMember): void {
    const room = this.rooms.get(roomId);
    if (!room || !room.members.delete(member)) return;
    this.metrics.wsConnections.dec();
    if (member.user && countDown(room.localUsers, member.user)) {
      // Its last socket here; sockets hear the leave only if the user is not still present on another instance.
      const frame: ServerFrame = { type: 'presence', action: 'leave', user: member.user, present: [] };
      this.announce(roomId, frame, !room.has(member.user));
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

  /**
   * Receives the incident.updated frames of every room, on this instance and the others (the tRPC subscription
   * `incidents.onListUpdate` uses this); returns the unsubscribe function.
   */
  watchIncidents(listener: FrameListener): () => void {
    this.incidentWatchers.add(listener);
    return () => {
      this.incidentWatchers.delete(listener);
    };
  }

  /**
   * Hears of every incident change on this instance and the others (each incident.updated frame, with the incident),
   * and of each frame too large to notify that no one here reads (`undefined`: the incident may have changed). Unlike
   * watchIncidents it makes the hub neither serialise frames nor load parked ones from the database. The analysis
   * service uses it to keep its cache of past incidents current. Returns the unsubscribe function.
   */
  watchIncidentChanges(listener: IncidentChangeListener): () => void {
    this.changeWatchers.add(listener);
    return () => {
      this.changeWatchers.delete(listener);
    };
  }

  /**
   * Receives a call when this instance may have missed other instances' frames (src/rooms/bus.ts onGap); returns the
   * function that stops it. The tRPC subscriptions end on it, so their clients subscribe again and catch up.
   */
  watchGaps(listener: () => void): () => void {
    this.gapWatchers.set(listener, Date.now());
    return () => {
      this.gapWatchers.delete(listener);
    };
  }

  /**
   * The bus missed frames another instance sent (it lost the connection it hears them on, and has it back): they
   * (chat, status changes, events) never reached this instance's sockets and streams, and NOTIFY does not replay. Each
   * socket is closed with 1012 and each stream ended with a retryable error, so clients reconnect and load what
   * they missed (the console does so on every reconnect), rather than showing a room with holes in it.
   */
  private missedFrames(since: number): void {
    // Those that joined since loaded their state after the missed frames were stored; each gap closes a client once.
    let sockets = 0;
    for (const room of this.rooms.values()) {
      for (const m of room.members) {
        if ((this.joinedAt.get(m) ?? 0) >= since) continue;
        m.close(1012, 'missed updates from other instances; reconnect');
        sockets++;
      }
    }
    let streams = 0;
    for (const [listener, at] of this.gapWatchers) {
      if (at >= since) continue;
      listener();
      streams++;
    }
    if (sockets > 0 || streams > 0) this.opts.onGap?.({ sockets, streams });
  }

  /** Closes every socket (1001 going away), tells the other instances its users left, and leaves the bus. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.shutdown.abort();
    clearInterval(this.heartbeatTimer);
    // The leaves are announced here, while the bus still sends: the sockets' own close events come too late.
    for (const [roomId, room] of [...this.rooms]) {
      for (const m of [...room.members]) {
        m.close(1001, 'server shutting down');
        this.leave(roomId, m);
      }
    }
    this.flush();
    await this.bus.close();
  }

  /**
   * A local join or leave: every other instance hears it (their rosters are per instance), this one's sockets only
   * when it is `news` (it changes whether the user is present anywhere).
   */
  private announce(roomId: string, frame: ServerFrame, news: boolean): void {
    this.bus.publish(roomId, frame);
    if (news) this.enqueue(roomId, frame);
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
    // Any frame shows the instance is alive; a user it joined since its last heartbeat is never newer than this.
    if (this.heard.has(origin)) this.heard.set(origin, performance.now());
    if (frame.type === 'presence') {
      const room = this.room(roomId);
      const before = room.has(frame.user);
      let users = room.remoteUsers.get(origin);
      if (!users) room.remoteUsers.set(origin, (users = new Map()));
      // An instance announces each user once, so a set (with when it was last heard of) is enough.
      if (frame.action === 'join') users.set(frame.user, performance.now());
      else users.delete(frame.user);
      if (users.size === 0) room.remoteUsers.delete(origin);
      const after = room.has(frame.user);
      if (room.empty) this.rooms.delete(roomId);
      // Once per user name across instances: a join or leave that does not change whether the user is present
      // anywhere (another tab on another instance) is that instance's bookkeeping, not news for the sockets.
      if (before === after) return;
    }
    this.enqueue(roomId, frame);
  }

  /** Who is present here, for the heartbeat. */
  private localPresence(): PresenceEntries {
    const present: PresenceEntries = [];
    for (const [roomId, room] of this.rooms) {
      if (room.localUsers.size > 0) present.push([roomId, [...room.localUsers.keys()]]);
    }
    return present;
  }

  private sendHeartbeat(): void {
    if (!this.closed) this.bus.heartbeat(this.localPresence());
  }

  /** Refreshes what `origin` says is present on it; a user this instance did not know of joins. */
  private fromHeartbeat(origin: string, present: PresenceEntries): void {
    if (this.closed) return;
    const now = performance.now();
    if (!this.heard.has(origin) && !this.heartbeatSoon) {
      // A new instance (or one back from a partition): tell it who is here now rather than a period later.
      this.heartbeatSoon = true;
      setImmediate(() => {
        this.heartbeatSoon = false;
        this.sendHeartbeat();
      });
    }
    this.heard.set(origin, now);
    for (const [roomId, list] of present) {
      const room = this.room(roomId);
      let users = room.remoteUsers.get(origin);
      if (!users) room.remoteUsers.set(origin, (users = new Map()));
      for (const user of list) {
        const news = !room.has(user);
        users.set(user, now);
        if (news) this.enqueue(roomId, { type: 'presence', action: 'join', user, present: [] });
      }
      if (users.size === 0) room.remoteUsers.delete(origin);
      if (room.empty) this.rooms.delete(roomId);
    }
  }

  /** Drops users that instances sending heartbeats have not listed within the timeout, announcing their leave. */
  private expire(): void {
    const cutoff = performance.now() - this.timeoutMs;
    for (const [roomId, room] of [...this.rooms]) {
      for (const [origin, users] of room.remoteUsers) {
        if (!this.heard.has(origin)) continue;
        for (const [user, seen] of users) {
          if (seen >= cutoff) continue;
          users.delete(user);
          if (!room.has(user)) this.enqueue(roomId, { type: 'presence', action: 'leave', user, present: [] });
        }
        if (users.size === 0) room.remoteUsers.delete(origin);
      }
      if (room.empty) this.rooms.delete(roomId);
    }
    for (const [origin, at] of this.heard) if (at < cutoff) this.heard.delete(origin);
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
    for (const [roomId, frame] of queue) {
      // This runs in a timer: a throw would end the process, and one bad frame must not stop the others.
      try {
        // Serialised once for the incident feed and the room alike.
        let json: string | undefined;
        if (frame.type === 'incident.updated') for (const l of this.changeWatchers) l(roomId, frame.incident);
        if (frame.type === 'incident.updated' && this.incidentWatchers.size > 0) {
          json = JSON.stringify(frame);
          for (const l of this.incidentWatchers) l(frame, json.length);
        }
        this.deliver(roomId, frame, json);
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
  }

  /** `json`: the frame's JSON text when the caller has it already (never for presence, which is rebuilt here). */
  private deliver(roomId: string, frame: ServerFrame, json?: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    const start = performance.now();
    // Presence frames carry the room's roster as this instance sees it at delivery time.
    const out: ServerFrame = frame.type === 'presence' ? { ...frame, present: room.present() } : frame;
    const data = out === frame && json !== undefined ? json : JSON.stringify(out);
    for (const m of room.members) {
      if (m.bufferedAmount() > MAX_BUFFERED_BYTES) {
        m.close(1013, 'client too slow; reconnect');
        continue;
      }
      m.send(data);
    }
    if (room.members.size > 0) this.metrics.wsMessages.inc({ direction: 'out' }, room.members.size);
    for (const l of room.listeners) l(out, data.length);
    if (room.members.size > 0) this.metrics.broadcastSeconds.observe((performance.now() - start) / 1000);
    if (room.empty) this.rooms.delete(roomId);
  }
}
