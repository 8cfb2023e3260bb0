// Per-caller token buckets (in memory, per instance): a key, or, on an open server, a client address. Over the limit
// is 429 with Retry-After; every limited answer carries RateLimit and RateLimit-Policy (IETF httpapi
// ratelimit-headers draft). Ingest has its own, more generous buckets: during an outage, senders burst.
import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../domain/errors.js';
import type { AppEnv } from './env.js';
import { errorResponse, HttpError } from './errors.js';
import { remoteAddress, setResponseHeader } from './node-io.js';

export interface BucketPolicy {
  /** Tokens added per second; 0 turns the limit off. */
  perSecond: number;
  /** Most tokens a bucket holds: the burst a quiet caller may send at once. */
  burst: number;
}

export interface Taken {
  ok: boolean;
  remaining: number;
  /** Seconds until a token is available again (0 when one is). */
  retryAfter: number;
}

/** Buckets past this many are swept of the full ones (callers quiet long enough to have refilled). */
const SWEEP_ABOVE = 10_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(readonly policy: BucketPolicy) {}

  /** Takes `count` tokens (a tRPC batch's calls) from `id`'s bucket, refilled for the time since its last use. */
  take(id: string, count = 1, nowMs = performance.now()): Taken {
    const { perSecond, burst } = this.policy;
    const b = this.buckets.get(id) ?? { tokens: burst, at: nowMs };
    b.tokens = Math.min(burst, b.tokens + ((nowMs - b.at) / 1000) * perSecond);
    b.at = nowMs;
    if (!this.buckets.has(id)) {
      if (this.buckets.size >= SWEEP_ABOVE) this.sweep(nowMs);
      this.buckets.set(id, b);
    }
    // A batch of more calls than the burst never passes: split it (the bucket's size is the most one caller may send).
    if (b.tokens < count) {
      return {
        ok: false,
        remaining: Math.floor(b.tokens),
        retryAfter: Math.ceil((Math.min(count, burst) - b.tokens) / perSecond),
      };
    }
    b.tokens -= count;
    return { ok: true, remaining: Math.floor(b.tokens), retryAfter: 0 };
  }

  private sweep(nowMs: number): void {
    const full = (this.policy.burst / this.policy.perSecond) * 1000;
    for (const [id, b] of this.buckets) if (nowMs - b.at >= full) this.buckets.delete(id);
  }
}

const isLoopbackAddress = (a: string): boolean => a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');

/** Whom a limit counts a request against: its key, or, on an open server, its address. */
export interface Caller {
  /** `k:<key id>` or `a:<address>`. */
  id: string;
  byKey: boolean;
}

/**
 * The caller of a request, for the rate limit and the stream limit alike; undefined when it is not limited: loopback
 * callers of an open server are the operator (and its benchmarks), and requests with no address are in-process tests.
 */
export function callerOf(c: Context<AppEnv>): Caller | undefined {
  const principal = c.get('access')?.principal;
  if (principal) return { id: `k:${principal.id}`, byKey: true };
  const address = remoteAddress(c);
  if (address === undefined || isLoopbackAddress(address)) return undefined;
  return { id: `a:${address}`, byKey: false };
}

/** One slash off each end, as tRPC's fetch adapter trims (fetchRequestHandler.ts `trimSlashes`). */
const trimSlashes = (path: string): string => path.replace(/^\//, '').replace(/\/$/, '');

/**
 * The procedures a /trpc request calls: one, or several in a batch (`/trpc/a.b,c.d?batch=1`). Read as tRPC's fetch
 * adapter and resolveResponse read them: the URL's own path after the endpoint, one slash trimmed off each end (so
 * `/trpc/a.b/` calls `a.b`), `decodeURIComponent`, then split on commas only when `batch=1`. Hono's `c.req.path` is
 * `decodeURI`d, which leaves `%2C` as it is, so splitting it counted `a%2Cb%2Cc…` as one call while tRPC ran each
 * (security review, 2026-12-02: 250 list calls for one token); a trailing slash got a subscription past the stream
 * limit (review, later that day). An escape tRPC cannot decode is its 400; it counts here as the one call it is.
 */
export function trpcCalls(url: URL): string[] {
  const raw = trimSlashes(trimSlashes(url.pathname).slice('trpc'.length));
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return [raw];
  }
  return url.searchParams.get('batch') === '1' ? path.split(',') : [path];
}

/**
 * Whether a request only posts events (its own, generous limit), and how many calls it makes: a tRPC batch costs one
 * token per call, and goes to the ingest bucket only when every call in it is an ingest.
 */
function classify(path: string, rawUrl: string, method: string): { ingest: boolean; calls: number } {
  if (path.startsWith('/trpc/')) {
    const calls = trpcCalls(new URL(rawUrl));
    return { ingest: method === 'POST' && calls.every((p) => p.startsWith('events.ingest')), calls: calls.length };
  }
  return { ingest: method === 'POST' && path.startsWith('/api/ingest/events'), calls: 1 };
}

/**
 * Limits each caller: the key it presented, or, on an open server, its address. Loopback callers of an open server
 * are the operator (and its benchmarks) and are not limited; requests with no address (in-process tests) neither.
 */
export function rateLimit(general: BucketPolicy, ingest: BucketPolicy): MiddlewareHandler<AppEnv> {
  const generalBuckets = general.perSecond > 0 ? new TokenBuckets(general) : undefined;
  const ingestBuckets = ingest.perSecond > 0 ? new TokenBuckets(ingest) : undefined;
  return async function rateLimitMiddleware(c, next) {
    const { ingest: ingesting, calls } = classify(c.req.path, c.req.url, c.req.method);
    const buckets = ingesting ? ingestBuckets : generalBuckets;
    if (!buckets) return next();
    const caller = callerOf(c);
    if (!caller) return next();
    // A batch of more calls than the burst would be refused from a full bucket too, forever: a 429 would tell the
    // client to retry (after 0 s, with a full bucket). It is the request that must change, so say so.
    if (calls > buckets.policy.burst) {
      return errorResponse(
        c,
        new HttpError(
          'BAD_REQUEST',
          `this tRPC batch makes ${calls} calls; one request may make at most ${buckets.policy.burst} (the rate limit's burst): split it`,
        ),
      );
    }
    const taken = buckets.take(caller.id, calls);
    const name = ingesting ? 'ingest' : 'default';
    const headers = {
      'RateLimit-Policy': `"${name}";q=${buckets.policy.burst};w=${Math.max(1, Math.ceil(buckets.policy.burst / buckets.policy.perSecond))}`,
      RateLimit: `"${name}";r=${taken.remaining};t=${taken.retryAfter}`,
    };
    if (!taken.ok) {
      const message = `rate limit exceeded (${buckets.policy.perSecond}/s, bursts of ${buckets.policy.burst}); retry after ${taken.retryAfter} s`;
      return errorResponse(
        c,
        new AppError('RATE_LIMITED', message, undefined, {
          headers: { ...headers, 'Retry-After': String(taken.retryAfter) },
        }),
      );
    }
    for (const [h, v] of Object.entries(headers)) setResponseHeader(c, h, v);
    return next();
  };
}
