// The cross-instance room bus: what one instance broadcasts, every other instance delivers to its own sockets.
import { randomUUID } from 'node:crypto';
import type { ServerFrame } from '../../schema/index.js';

/** `origin` names the instance that published the frame. */
export type BusHandler = (room: string, frame: ServerFrame, origin: string) => void;

export interface RoomBus {
  /** Sends a frame to the other instances. Never throws and never blocks the caller. */
  publish(room: string, frame: ServerFrame): void;
  /** Called for frames from other instances, in the order each instance published them. */
  subscribe(handler: BusHandler): void;
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
