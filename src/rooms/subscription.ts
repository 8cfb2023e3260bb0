// Room frames as async streams, for the tRPC subscriptions `incidents.onUpdate` (one room) and
// `incidents.onListUpdate` (incident updates of every room), both served over SSE.
import type { Kysely } from 'kysely';
import type { ServerFrame } from '../../schema/index.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import type { Database } from '../db/types.js';
import { AppError } from '../domain/errors.js';
import { keyStillLive, type Principal } from '../domain/keys.js';
import type { FrameListener, RoomHub } from './hub.js';
import { buildWelcome } from './welcome.js';

/** A subscriber this far behind is cut off rather than buffering without bound. */
const MAX_QUEUED_FRAMES = 10_000;
/**
 * How often a stream opened with an API key checks that the key is still live: a revoked or expired key loses its
 * streams within this long, as it loses its room sockets at their next ping.
 */
export const KEY_RECHECK_MS = 10_000;

/** Whom a stream serves: its key (undefined on an open server) and where to check it. */
export interface StreamAccess {
  db: Kysely<Database>;
  principal: Principal | undefined;
}

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
  access: StreamAccess,
  first?: () => Promise<ServerFrame>,
): AsyncGenerator<ServerFrame> {
  const queue: ServerFrame[] = [];
  let wake: (() => void) | undefined;
  let overflow = false;
  let revoked = false;
  const { principal, db } = access;
  // A failed check (the database away) leaves the stream open, as it leaves a room socket open.
  const recheck = principal
    ? setInterval(() => {
        keyStillLive(db, principal).then(
          (live) => {
            if (live) return;
            revoked = true;
            wake?.();
          },
          () => undefined,
        );
      }, KEY_RECHECK_MS)
    : undefined;
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
      if (revoked) throw new AppError('UNAUTHENTICATED', 'the API key was revoked or has expired');
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
    clearInterval(recheck);
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
  principal: Principal | undefined,
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
  return streamFrames(
    (listener) => hub.listen(incidentId, listener),
    untilEither(signal, hub),
    { db, principal },
    welcome,
  );
}

/** The incident.updated frames of every incident (created, status, severity, analysis), on every instance. */
export function incidentUpdateFrames(
  hub: RoomHub,
  signal: AbortSignal | undefined,
  access: StreamAccess,
): AsyncGenerator<ServerFrame> {
  return streamFrames((listener) => hub.watchIncidents(listener), untilEither(signal, hub), access);
}
