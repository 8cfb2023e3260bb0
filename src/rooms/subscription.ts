// The frames of one incident room as an async stream, for the tRPC subscription `incidents.onUpdate` (SSE).
import type { Kysely } from 'kysely';
import type { ServerFrame } from '../../schema/index.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import type { Database } from '../db/types.js';
import { AppError } from '../domain/errors.js';
import type { RoomHub } from './hub.js';
import { buildWelcome } from './welcome.js';

/** A subscriber this far behind is cut off rather than buffering without bound. */
const MAX_QUEUED_FRAMES = 10_000;

export async function* roomFrames(
  db: Kysely<Database>,
  hub: RoomHub,
  incidentId: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<ServerFrame> {
  const queue: ServerFrame[] = [];
  let wake: (() => void) | undefined;
  let overflow = false;
  // Listen before loading the welcome, so nothing that happens in between is missed.
  const unsubscribe = hub.listen(incidentId, (frame) => {
    if (queue.length >= MAX_QUEUED_FRAMES) overflow = true;
    else queue.push(frame);
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    yield await buildWelcome(db, hub, incidentId).catch((err: unknown) => {
      // The subscriber sees a 503-class error it may retry, rather than an internal error.
      if (isDatabaseUnavailable(err)) {
        throw new AppError('UNAVAILABLE', 'the database is unavailable; subscribe again shortly', undefined, {
          cause: err,
        });
      }
      throw err;
    });
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
