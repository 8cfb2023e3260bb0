// The cross-instance room bus: what one instance broadcasts, every other instance delivers to its own sockets.
import { randomUUID } from 'node:crypto';
import type { ServerFrame } from '../../schema/index.js';

/** `origin` names the instance that published the frame. */
export type BusHandler = (room: string, frame: ServerFrame, origin: string) => void;

/** Where a frame's rows can be loaded from, so a bus may send the reference instead of a large frame. */
export interface FrameRef {
  /** Inclusive ranges of `events.seq` in the frame's room (an `event.created` frame). */
  eventSeqRanges: Array<[string, string]>;
}

export interface RoomBus {
  /** Sends a frame to the other instances. Never throws and never blocks the caller. */
  publish(room: string, frame: ServerFrame, ref?: FrameRef): void;
  /**
   * `handler` gets frames from other instances, in the order each instance published them. `wants(room)` says
   * whether anyone here listens to a room, so a frame sent by reference is loaded only where it will be delivered.
   */
  subscribe(handler: BusHandler, wants: (room: string) => boolean): void;
  close(): Promise<void>;
}

/**
 * The bus for a single process (embedded PGlite cannot be shared between processes): every instance in this
 * process that shares the bus object hears the others.
 */
export class InProcessBus {
  private readonly members = new Set<BusHandler>();

  /** A view of the bus for one instance: it hears everyone but itself. */
  join(): RoomBus {
    let own: BusHandler | undefined;
    const origin = randomUUID();
    return {
      publish: (room, frame) => {
        for (const h of this.members) if (h !== own) queueMicrotask(() => h(room, frame, origin));
      },
      subscribe: (handler) => {
        own = handler;
        this.members.add(handler);
      },
      close: async () => {
        if (own) this.members.delete(own);
      },
    };
  }
}
