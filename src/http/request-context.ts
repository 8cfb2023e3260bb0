// Request id (honouring a sane incoming x-request-id), a child logger, metrics and one access-log line per request.
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { AppEnv } from './env.js';
import { requestHeader, setResponseHeader } from './node-io.js';

// An incoming id is echoed into logs and headers, so only a short, printable one is trusted.
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the client's x-request-id when it is short and printable, else a new UUID. */
export const requestIdFrom = (incoming: string | undefined): string =>
  incoming !== undefined && SAFE_ID.test(incoming) ? incoming : randomUUID();

/**
 * The request metric and access-log line of an answer written before the app saw the request (node's parser refused
 * it, or the upgrade guard did), under route "unrouted": /metrics and the log then miss no request they count.
 * Such answers are all 4xx or 503, so the line is always written.
 */
export function recordRawAnswer(
  logger: Logger,
  metrics: Metrics,
  answer: { method: string; path: string; status: number; requestId: string; seconds: number },
): void {
  const route = 'unrouted';
  metrics.httpDuration.observe({ method: answer.method, route, status: String(answer.status) }, answer.seconds);
  logger.info(
    {
      request_id: answer.requestId,
      method: answer.method,
      path: answer.path,
      route,
      status: answer.status,
      ms: Math.round(answer.seconds * 1e4) / 10,
    },
    'request',
  );
}

/** A request slower than this gets its access-log line even when only errors are logged. */
export const SLOW_REQUEST_MS = 1000;

/**
 * `accessLog`: 'all' writes one line per request; 'errors' (the default, as Grafana's router_logging) only for
 * status 400 and up or slower than SLOW_REQUEST_MS: at thousands of ingest requests a second a line per success is
 * noise, costs ~10% of a small request's CPU, and the metrics already count and time every request.
 */
export function requestContext(
  logger: Logger,
  metrics: Metrics,
  accessLog: 'all' | 'errors',
): MiddlewareHandler<AppEnv> {
  const logAll = accessLog === 'all';
  return async function requestContextMiddleware(c, next) {
    const requestId = requestIdFrom(requestHeader(c, 'x-request-id'));
    let child: Logger | undefined;
    const log = (): Logger => (child ??= logger.child({ request_id: requestId }));
    c.set('requestId', requestId);
    c.set('log', log);
    // Set before the handler builds its response, so the header goes into it; changing headers afterwards would
    // make @hono/node-server rebuild the response object on its slow path.
    setResponseHeader(c, 'x-request-id', requestId);
    const start = performance.now();
    let status = 500;
    try {
      await next();
      status = c.get('refusedWith') ?? c.res.status;
    } finally {
      // routePath after next() is the template of the handler that answered; unmatched paths (404, 405) share one label.
      const template = answeredRoute(c);
      // Both spellings of a path (with and without the trailing slash) count as one route.
      const route =
        template === '*' || template === '/*'
          ? 'unmatched'
          : template.length > 1
            ? template.replace(/\/$/, '')
            : template;
      const labels = { method: c.req.method, route, status: String(status) };
      const seconds = (performance.now() - start) / 1000;
      metrics.httpDuration.observe(labels, seconds);
      const ms = Math.round(seconds * 1e4) / 10;
      if (logAll || status >= 400 || ms >= SLOW_REQUEST_MS) {
        // Which key made the request, by its prefix: enough to find it in `warroom keys list`, useless to an attacker.
        const keyPrefix = c.get('access')?.principal?.prefix;
        const line = {
          method: c.req.method,
          path: c.req.path,
          route,
          status,
          ms,
          ...(keyPrefix ? { key_prefix: keyPrefix } : {}),
        };
        if (ms >= SLOW_REQUEST_MS && status < 500) log().warn(line, 'slow request');
        else log().info(line, 'request');
      }
    }
  };
}

/**
 * The route template a request is counted under. Usually the handler that answered; a request a middleware answered
 * before routing (the key check while the database is away, a rate limit) counts under the route it was going to,
 * not the middleware's prefix: an outage drill (2026-12-02) saw every refused /api request counted as `/api/*`, and
 * a dashboard of 5xx by route showed nothing for the routes that failed. Catch-alls (`/trpc/*`) stay as they are.
 */
function answeredRoute(c: Context<AppEnv>): string {
  const answered = c.req.routePath;
  if (!answered.endsWith('*')) return answered;
  const going = matchedRoutes(c)
    .slice(c.req.routeIndex + 1)
    .find((r) => r.method !== 'ALL' && !r.path.endsWith('*'));
  return going?.path ?? answered;
}
