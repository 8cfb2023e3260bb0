// How many long-lived streams (room WebSockets and SSE subscriptions) one caller may hold open on this instance.
// Each costs memory for as long as it is open, and a slow reader costs up to a few copies of the largest frame on
// top (a 500-event frame is ~150 KB, one of a batch at MAX_BODY_BYTES megabytes): 60 slow SSE subscribers of one
// read key took the server from 172 to 705 MiB of RSS (security review, 2026-12-02), each within its own 8 MiB cap.
// The caller is the one the rate limit knows (src/http/rate-limit.ts): its key, or, on an open server, its address,
// where loopback (the operator, its console and benchmarks) is not limited.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import { errorResponse, HttpError } from './errors.js';
import { bindings } from './node-io.js';
import { callerOf, trpcCalls } from './rate-limit.js';

/** Seconds a refused caller is told to wait: streams end when a tab closes, so soon is worth a try. */
export const STREAM_RETRY_AFTER_SECONDS = 5;

/** Open streams per caller id (`k:<key id>` or `a:<address>`). */
class StreamCounts {
  private readonly open = new Map<string, number>();
  constructor(readonly max: number) {}

  /** Counts one more stream for `id`; false (and nothing counted) when it already holds `max`. */
  acquire(id: string): boolean {
    const held = this.open.get(id) ?? 0;
    if (held >= this.max) return false;
    this.open.set(id, held + 1);
    return true;
  }

  /** Counts one stream of `id` as closed. */
  release(id: string): void {
    const held = this.open.get(id) ?? 0;
    if (held <= 1) this.open.delete(id);
    else this.open.set(id, held - 1);
  }
}

/**
 * Limits each caller to `max` open streams on this instance: a room upgrade (`/ws/…`), or a /trpc GET of one of
 * `subscriptions` (tRPC procedure paths served as SSE). Over it, 429 with Retry-After and a message naming the limit
 * (MAX_STREAMS_PER_CLIENT). A stream counts from the request until its connection or response closes: a refused
 * upgrade or a subscription that ends with an error counts only that long. Requests without node's socket
 * (app.request() in tests) are not limited: nothing would tell when they end.
 */
export function limitStreams(max: number, subscriptions: ReadonlySet<string>): MiddlewareHandler<AppEnv> {
  const counts = new StreamCounts(max);
  return async function streamLimitMiddleware(c, next) {
    const { incoming, outgoing } = bindings(c);
    const caller = incoming ? callerOf(c) : undefined;
    if (!incoming || !caller) return next();
    // Mounted on /ws/* and /trpc/* only: a room upgrade, or a GET that opens a subscription.
    const isStream =
      c.req.path.startsWith('/ws/') ||
      (c.req.method === 'GET' && trpcCalls(new URL(c.req.url)).some((path) => subscriptions.has(path)));
    if (!isStream) return next();
    if (!counts.acquire(caller.id)) {
      const who = caller.byKey ? 'this API key holds' : 'this address holds';
      return errorResponse(
        c,
        new HttpError(
          'TOO_MANY_REQUESTS',
          `${who} ${max} open streams (room sockets and subscriptions) on this server, the most ` +
            'MAX_STREAMS_PER_CLIENT allows; close one first',
          { 'Retry-After': String(STREAM_RETRY_AFTER_SECONDS) },
        ),
      );
    }
    // An upgrade has no response object: its socket closing ends the stream. A plain response's 'close' comes when it
    // ends or its connection goes, whichever is first; the connection may live on (keep-alive), the stream does not.
    // Whatever the app answers, even after an error, closes one of them: the count is released there, once.
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      counts.release(caller.id);
    };
    const closing = outgoing ?? incoming.socket;
    closing.once('close', release);
    if (closing.destroyed) release();
    return next();
  };
}
