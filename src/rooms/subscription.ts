// Room frames as async streams, for the tRPC subscriptions `incidents.onUpdate` (one room) and
// `incidents.onListUpdate` (incident updates of every room), both served over SSE.
import type { Kysely } from 'kysely';
import type { ServerFrame } from '../../schema/index.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import type { Database } from '../db/types.js';
import { AppError } from '../domain/errors.js';
import type { FrameListener, RoomHub } from './hub.js';
import { buildWelcome } from './welcome.js';

/** A subscriber this far behind is cut off rather than buffering without bound. */
const MAX_QUEUED_FRAMES = 10_000;

/** The request's signal (the client went away) or the hub's (the server is shutting down), whichever comes first. */
const untilEither = (request: AbortSignal | undefined, hub: RoomHub): AbortSignal =>
  request ? AbortSignal.any([request, hub.closing]) : hub.closing;

/**
 * The frames `listen` hands over, in order, until `signal` aborts. `listen` is called before `first` runs, so nothing
 * that happens while `first` loads is missed; `first`'s frame (if any) is yielded before them.
 */
async function* streamFrames(
  listen: (listener: FrameListener) => () => void,
  signal: AbortSignal | undefined,
  first?: () => Promise<ServerFrame>,
): AsyncGenerator<ServerFrame> {
  const queue: ServerFrame[] = [];
  let wake: (() => void) | undefined;
  let overflow = false;
  const unsubscribe = listen((frame) => {
    if (queue.length >= MAX_QUEUED_FRAMES) overflow = true;
    else queue.push(frame);
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    if (first) yield await first();
    while (!signal?.aborted) {
      if (overflow) throw new Error(`subscriber fell more than ${MAX_QUEUED_FRAMES} frames behind`);
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}

/** Every frame of one incident room, starting with its welcome frame. */
export function roomFrames(
  db: Kysely<Database>,
  hub: RoomHub,
  incidentId: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<ServerFrame> {
  const welcome = () =>
    buildWelcome(db, hub, incidentId).catch((err: unknown) => {
      // The subscriber sees a 503-class error it may retry, rather than an internal error.
      if (isDatabaseUnavailable(err)) {
        throw new AppError('UNAVAILABLE', 'the database is unavailable; subscribe again shortly', undefined, {
          cause: err,
        });
      }
      throw err;
    });
  return streamFrames((listener) => hub.listen(incidentId, listener), untilEither(signal, hub), welcome);
}

/** The incident.updated frames of every incident (created, status, severity, analysis), on every instance. */
export function incidentUpdateFrames(hub: RoomHub, signal: AbortSignal | undefined): AsyncGenerator<ServerFrame> {
  return streamFrames((listener) => hub.watchIncidents(listener), untilEither(signal, hub));
}
