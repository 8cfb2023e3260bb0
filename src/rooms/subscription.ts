// Room frames as async streams, for the tRPC subscriptions `incidents.onUpdate` (one room) and
// `incidents.onListUpdate` (incident updates of every room), both served over SSE.
import type { Kysely } from 'kysely';
import type { ServerFrame } from '../../schema/index.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import type { Database } from '../db/types.js';
import { AppError } from '../domain/errors.js';
import type { Authenticator } from '../domain/access.js';
import { keyStillLive, type Principal } from '../domain/keys.js';
import type { FrameListener, RoomHub } from './hub.js';
import { buildWelcome } from './welcome.js';

/**
 * A subscriber this far behind (frames waiting for it, by the length of their JSON) is cut off rather than buffering
 * without bound: the same 8 MiB after which a room socket is closed with 1013 (src/rooms/hub.ts). The SSE response
 * honours backpressure, so a client that stops reading leaves frames waiting here; one event.created frame of a
 * large batch is megabytes.
 */
export const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** And this many frames, whatever their size. */
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
  /** Whether the server needs keys now (AUTH=auto turns that on with the first key). */
  auth: Pick<Authenticator, 'enforced'>;
}

/**
 * Whether what a stream or socket was opened with still grants access: its key is still live, or, opened on an open
 * server without one, the server is still open (AUTH=auto starts enforcing keys once the first exists, and a tab
 * opened before that must not keep listening). Rejects when it cannot tell (the database away).
 */
export async function accessStillGranted(access: StreamAccess): Promise<boolean> {
  if (access.principal) return keyStillLive(access.db, access.principal);
  return !(await access.auth.enforced());
}

/** What a stream or socket is told when accessStillGranted says no. */
export const accessEndedMessage = (principal: Principal | undefined): string =>
  principal ? 'the API key was revoked or has expired' : 'this server now requires an API key';

/**
 * The request's signal (the client went away) and the hub's (the server is shutting down): a stream ends at the
 * first. Not AbortSignal.any: on Node 20 a signal made by it stays recorded on each source signal for as long as that
 * lives, and the hub's lives as long as the process, so every subscription left ~70 bytes behind for good (a memory
 * review counted 51,695 after 52,000 subscriptions). A listener on each, removed when the stream ends, leaves nothing.
 */
const untilEither = (request: AbortSignal | undefined, hub: RoomHub): AbortSignal[] =>
  request ? [request, hub.closing] : [hub.closing];

/**
 * The frames `listen` hands over, in order, until one of `signals` aborts. `listen` is called before `first` runs, so nothing
 * that happens while `first` loads is missed; `first`'s frame (if any) is yielded before them.
 */
async function* streamFrames(
  listen: (listener: FrameListener) => () => void,
  watchGaps: (listener: () => void) => () => void,
  signals: readonly AbortSignal[],
  access: StreamAccess,
  first?: () => Promise<ServerFrame>,
): AsyncGenerator<ServerFrame> {
  const queue: Array<[frame: ServerFrame, size: number]> = [];
  let queuedBytes = 0;
  let wake: (() => void) | undefined;
  let overflow = false;
  let revoked = false;
  let gap = false;
  // A failed check (the database away) leaves the stream open, as it leaves a room socket open.
  const recheck = setInterval(() => {
    accessStillGranted(access).then(
      (granted) => {
        if (granted) return;
        revoked = true;
        wake?.();
      },
      () => undefined,
    );
  }, KEY_RECHECK_MS);
  let unsubscribed = false;
  const stopListening = listen((frame, size) => {
    if (overflow) return;
    // A frame is always taken into an empty queue, however large (one ingest batch under MAX_BODY_BYTES can make a
    // frame over 8 MiB): as a room socket is judged by what is already buffered before a frame is sent.
    if (queue.length >= MAX_QUEUED_FRAMES || (queue.length > 0 && queuedBytes + size > MAX_QUEUED_BYTES)) {
      // Let go of everything now: a client that stopped reading may never pull the error below.
      overflow = true;
      queue.length = 0;
      queuedBytes = 0;
      unsubscribe();
    } else {
      queue.push([frame, size]);
      queuedBytes += size;
    }
    wake?.();
  });
  function unsubscribe(): void {
    if (unsubscribed) return;
    unsubscribed = true;
    stopListening();
  }
  // The bus missed frames (hub.watchGaps): end, retryably, so the client subscribes again and gets a fresh start.
  const stopWatchingGaps = watchGaps(() => {
    gap = true;
    wake?.();
  });
  const onAbort = (): void => wake?.();
  for (const signal of signals) signal.addEventListener('abort', onAbort);
  const aborted = (): boolean => signals.some((signal) => signal.aborted);
  try {
    if (first) yield await first();
    while (!aborted()) {
      if (revoked) throw new AppError('UNAUTHENTICATED', accessEndedMessage(access.principal));
      if (gap) {
        throw new AppError('UNAVAILABLE', 'this server missed updates from the other instances; subscribe again');
      }
      if (overflow) {
        throw new AppError(
          'UNAVAILABLE',
          `this subscriber fell more than ${MAX_QUEUED_BYTES / 1024 / 1024} MiB or ${MAX_QUEUED_FRAMES} frames behind; subscribe again`,
        );
      }
      const next = queue.shift();
      if (next) {
        queuedBytes -= next[1];
        yield next[0];
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    clearInterval(recheck);
    stopWatchingGaps();
    for (const signal of signals) signal.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}

/** Every frame of one incident room, starting with its welcome frame. */
export function roomFrames(
  hub: RoomHub,
  incidentId: string,
  signal: AbortSignal | undefined,
  access: StreamAccess,
): AsyncGenerator<ServerFrame> {
  const welcome = () =>
    buildWelcome(access.db, hub, incidentId).catch((err: unknown) => {
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
    (listener) => hub.watchGaps(listener),
    untilEither(signal, hub),
    access,
    welcome,
  );
}

/** The incident.updated frames of every incident (created, status, severity, analysis), on every instance. */
export function incidentUpdateFrames(
  hub: RoomHub,
  signal: AbortSignal | undefined,
  access: StreamAccess,
): AsyncGenerator<ServerFrame> {
  return streamFrames(
    (listener) => hub.watchIncidents(listener),
    (listener) => hub.watchGaps(listener),
    untilEither(signal, hub),
    access,
  );
}
