// The cross-instance room bus: what one instance broadcasts, every other instance delivers to its own sockets.
import { randomUUID } from 'node:crypto';
import type { ServerFrame } from '../../schema/index.js';

/** `origin` names the instance that published the frame. */
export type BusHandler = (room: string, frame: ServerFrame, origin: string) => void;

/** What kind of by-reference frame the bus is about to load: only event rows, or a parked frame of any type. */
export type FrameRefKind = 'events' | 'parked';

/** Whether this instance would deliver a by-reference frame of `room` (see RoomBus.subscribe). */
export type WantsFrame = (room: string, ref: FrameRefKind) => boolean;

/** Users present on one instance: `[room, users]` pairs. A long list may come in several heartbeat messages. */
export type PresenceEntries = Array<[string, string[]]>;

/** Hears another instance's heartbeat: it is alive, and these users are present on it. */
export type HeartbeatHandler = (origin: string, present: PresenceEntries) => void;

/** Where a frame's rows can be loaded from, so a bus may send the reference instead of a large frame. */
export interface FrameRef {
  /** Inclusive ranges of `events.seq` in the frame's room (an `event.created` frame). */
  eventSeqRanges: Array<[string, string]>;
}

export interface RoomBus {
  /** Sends a frame to the other instances. Never throws and never blocks the caller. */
  publish(room: string, frame: ServerFrame, ref?: FrameRef): void;
  /**
   * Tells the other instances this one is alive and who is present on it, in order with its frames (a heartbeat
   * sent after a `leave` frame does not list that user). Never throws and never blocks the caller.
   */
  heartbeat(present: PresenceEntries): void;
  /**
   * `handler` gets frames from other instances, in the order each instance published them. `wants(room, ref)` says
   * whether a frame of that room sent by reference (`'events'`: an event.created frame's rows; `'parked'`: any large
   * frame stored whole) would be delivered here, so it is loaded only where someone will receive it.
   * `onHeartbeat` gets their heartbeats, in the same order. `onGap(since)` is called when frames another
   * sent never reached this instance (its listening connection was lost meanwhile: NOTIFY is not replayed; the
   * sender lost them; they could not be loaded), before the frames that revealed it are handed over: clients that
   * joined before `since` (Date.now() time) may lack them.
   */
  subscribe(
    handler: BusHandler,
    wants: WantsFrame,
    onHeartbeat?: HeartbeatHandler,
    onGap?: (since: number) => void,
  ): void;
  close(): Promise<void>;
}

/**
 * The bus for instances inside one process (the presence unit tests): every instance that shares the bus object
 * hears the others. Servers use PgBus (pg-bus.ts), on the embedded database too.
 */
export class InProcessBus {
  private readonly members = new Map<BusHandler, HeartbeatHandler | undefined>();

  /** A view of the bus for one instance: it hears everyone but itself, and says nothing once closed. */
  join(): RoomBus {
    let own: BusHandler | undefined;
    let closed = false;
    const origin = randomUUID();
    return {
      publish: (room, frame) => {
        if (closed) return;
        for (const h of this.members.keys()) if (h !== own) queueMicrotask(() => h(room, frame, origin));
      },
      heartbeat: (present) => {
        if (closed) return;
        for (const [h, onHeartbeat] of this.members) {
          if (h !== own && onHeartbeat) queueMicrotask(() => onHeartbeat(origin, present));
        }
      },
      subscribe: (handler, _wants, onHeartbeat) => {
        own = handler;
        this.members.set(handler, onHeartbeat);
      },
      close: async () => {
        closed = true;
        if (own) this.members.delete(own);
      },
    };
  }
}
