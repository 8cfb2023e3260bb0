// createApp(deps) → the Hono app: /trpc, the REST facade under /api, /ws rooms, /health, /metrics, /openapi.json, /docs,
// and the web console at / (src/http/console.ts).
import type { Server } from 'node:http';
import './rooms/error-event.js';
import { createNodeWebSocket } from '@hono/node-ws';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { Hono, type Context as HonoContext, type MiddlewareHandler } from 'hono';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AnalysisScheduler } from './analysis/runtime/service.js';
import type { AlertService } from './alerts/service.js';
import { mountAlertWebhooks } from './http/alert-webhooks.js';
import { KnownIncidents } from './db/events.js';
import { IncidentInsertQueue } from './db/incident-insert-queue.js';
import type { Database } from './db/types.js';
import type { Authenticator } from './domain/access.js';
import type { ChangeSink } from './domain/changes.js';
import { authenticate } from './http/auth.js';
import { rateLimit, type BucketPolicy } from './http/rate-limit.js';
import { limitStreams } from './http/stream-limit.js';
import { subscriptionPaths } from './rest/routes.js';
import { mountConsole, wantsConsolePage } from './http/console.js';
import { mountDocs } from './http/docs.js';
import { PLAIN_GET_PATHS, getWithSlash, mountHealth } from './http/health.js';
import type { AppEnv } from './http/env.js';
import { checkContentEncoding, decodeUtf8, payloadTooLarge } from './http/node-io.js';
import { requestContext } from './http/request-context.js';
import type { Metrics } from './metrics.js';
import { describeError, errorResponse, HttpError, logRefusedRequest } from './http/errors.js';
import { Drain } from './http/drain.js';
import { mountRest, REST_PREFIX } from './rest/mount.js';
import type { AppRouter } from './routers/index.js';
import type { RoomHub } from './rooms/hub.js';
import { MAX_FRAME_BYTES, mountRoomRoute } from './rooms/route.js';
import { guardUpgrades, recordUpgradeRefusals } from './rooms/upgrade-guard.js';
import type { Context } from './trpc/context.js';

export interface AppDependencies {
  /** Built once at start-up (src/routers/index.ts createAppRouter). */
  router: AppRouter;
  db: Kysely<Database>;
  logger: Logger;
  metrics: Metrics;
  changes: ChangeSink;
  hub: RoomHub;
  analysis: AnalysisScheduler;
  /** Handles alert deliveries (the webhooks; src/alerts/). */
  alerts: AlertService;
  /** Resolves API keys and room tickets (src/domain/access.ts). */
  auth: Authenticator;
  maxBodyBytes: number;
  /** One access-log line per request ('all'), or only for errors and slow requests ('errors', the default). */
  accessLog?: 'all' | 'errors';
  /** Token buckets per key (or address, when open): requests in general, and event ingest. Absent: no limit. */
  rateLimits?: { general: BucketPolicy; ingest: BucketPolicy };
  /** Room sockets and SSE subscriptions one caller may hold open (MAX_STREAMS_PER_CLIENT); absent or 0: no limit. */
  maxStreamsPerClient?: number;
  /** Origins allowed by CORS and on room upgrades (CORS_ORIGINS); none by default. */
  corsOrigins?: readonly string[];
  /** How often room sockets are pinged; a socket that misses one ping is dropped. */
  pingIntervalMs?: number;
}

export interface WarroomApp {
  app: Hono<AppEnv>;
  /** Attaches the WebSocket upgrade handler to the listening server. */
  injectWebSocket(server: Server): void;
  /** Stops the app's timers (the room pinger). */
  stop(): void;
  /** Starts the drain before a shutdown (src/http/drain.ts): responses close their connections, probes say 503. */
  drain(): void;
}

/**
 * A request whose body is checked to be UTF-8 (a 400 otherwise, RFC 8259 §8.1): tRPC would decode it lossily and
 * store U+FFFD in place of the bytes a client sent. Bodiless requests pass as they are.
 */
async function utf8Checked(req: Request): Promise<Request> {
  if (req.method === 'GET' || req.method === 'HEAD' || !req.body) return req;
  checkContentEncoding(req.headers.get('content-encoding'));
  const bytes = new Uint8Array(await req.arrayBuffer());
  decodeUtf8(bytes);
  return new Request(req.url, { method: req.method, headers: req.headers, body: bytes, signal: req.signal });
}

/** A method other than GET or HEAD on a plain GET route (PLAIN_GET_PATHS): 405 naming what it takes. */
function plainGetNotAllowed(c: HonoContext<AppEnv>): Response | undefined {
  const path = c.req.path.length > 1 ? c.req.path.replace(/\/$/, '') : c.req.path;
  if (!(PLAIN_GET_PATHS as readonly string[]).includes(path)) return undefined;
  return errorResponse(
    c,
    new HttpError('METHOD_NOT_SUPPORTED', `${c.req.method} is not allowed on ${c.req.path}; use GET`, {
      Allow: 'GET, HEAD',
    }),
  );
}

export function createApp(deps: AppDependencies): WarroomApp {
  // RegExpRouter (one precompiled regex) rather than the default SmartRouter, which silently falls back to the slower
  // TrieRouter when a route shape is ambiguous for it (a static segment beside a parameter, e.g. /docs/init.js next
  // to /docs/:asset). Here such a route fails the first request instead, so every HTTP test would catch it.
  const app = new Hono<AppEnv>({ router: new RegExpRouter() });
  const drain = new Drain();
  const ws = createNodeWebSocket({ app });
  // Larger frames are refused by ws itself with close code 1009, before any of our code reads them.
  ws.wss.options.maxPayload = MAX_FRAME_BYTES;
  // Rendered at the first request, not at start-up, and its modules imported then too (in the bundle, a module
  // reached only through import() is evaluated when first imported): rendering it runs trpc-to-openapi and
  // zod-openapi over every procedure, ~9 MiB that stayed resident, and evaluating trpc-to-openapi's dependencies
  // (co-body, http-errors, mime-db, qs, yaml) cost ~10 MiB more (docs/performance.md, 2026-11-30). Most instances
  // never serve the document.
  let openapi: string | undefined;

  const knownIncidents = new KnownIncidents();
  const incidentInserts = new IncidentInsertQueue(deps.db);
  const contextFor = (c: HonoContext<AppEnv>): Context => {
    const log = c.get('log');
    return {
      db: deps.db,
      changes: deps.changes,
      rooms: deps.hub,
      analysis: deps.analysis,
      auth: deps.auth,
      knownIncidents,
      incidentInserts,
      // Set by `authenticate` on every route that reaches a procedure; were it ever missing, nothing is granted.
      access: c.get('access') ?? { enforced: true },
      get logger() {
        return log();
      },
      requestId: c.get('requestId'),
      page: {},
      response: {},
    };
  };

  // First: it keeps the whole answer to a refused room upgrade, every other middleware's headers included.
  app.use('/ws/*', recordUpgradeRefusals);
  app.use('*', requestContext(deps.logger, deps.metrics, deps.accessLog ?? 'errors'));
  app.use('*', drain.middleware());
  // CORS is off unless CORS_ORIGINS lists origins; before authentication, since a preflight carries no key.
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    app.use(
      '*',
      cors({
        origin: [...deps.corsOrigins],
        // Every request header the API reads: a browser may send no other cross-origin.
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Prefer', 'X-Request-Id'],
        exposeHeaders: [
          'Link',
          'X-Request-Id',
          'Retry-After',
          'RateLimit',
          'RateLimit-Policy',
          'WWW-Authenticate',
          'Preference-Applied',
          'Idempotent-Replayed',
        ],
      }),
    );
  }
  // Alert webhooks authenticate with their integration's secret and are never rate limited (src/http/alert-webhooks.ts
  // says why): mounted before the API-key middleware, which they therefore never reach.
  mountAlertWebhooks(app, { db: deps.db, alerts: deps.alerts, maxBodyBytes: deps.maxBodyBytes });
  // Before any body is read: a missing or dead key is refused here (401), on /trpc in tRPC's envelope (errorResponse),
  // since every procedure needs a key once keys are enforced. /trpc used to leave it to the procedure's scope check,
  // after tRPC had read and parsed the body: 85 ms of CPU for an anonymous 8 MiB POST (security review, 2026-12-02).
  const allowedOrigins = deps.corsOrigins ?? [];
  app.use('/api/*', authenticate(deps.auth, { allowedOrigins }));
  app.use('/trpc/*', authenticate(deps.auth, { allowedOrigins }));
  app.use('/ws/*', authenticate(deps.auth, { tickets: true, allowedOrigins }));
  if (deps.rateLimits) {
    const limitRate = rateLimit(deps.rateLimits.general, deps.rateLimits.ingest);
    app.use('/api/*', limitRate);
    app.use('/trpc/*', limitRate);
    app.use('/ws/*', limitRate);
  }
  if (deps.maxStreamsPerClient) {
    const limitOpenStreams = limitStreams(deps.maxStreamsPerClient, subscriptionPaths(deps.router));
    app.use('/trpc/*', limitOpenStreams);
    app.use('/ws/*', limitOpenStreams);
  }
  const limit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: (c) => errorResponse(c, payloadTooLarge(deps.maxBodyBytes)),
  });
  // Only requests with a body: reading c.req.raw would make @hono/node-server build a full Request for every GET.
  // The REST facade reads and limits bodies itself, straight from node's stream (src/http/node-io.ts).
  const limitBodies: MiddlewareHandler<AppEnv> = (c, next) =>
    c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limit(c, next);
  app.use('/trpc/*', limitBodies);

  app.all('/trpc/*', async (c) =>
    fetchRequestHandler({
      endpoint: '/trpc',
      req: await utf8Checked(c.req.raw),
      router: deps.router,
      createContext: () => contextFor(c),
      // The headers the one error model gives a refusal (WWW-Authenticate on a 401, Retry-After on a 503 or 429).
      responseMeta: ({ errors }) => ({
        headers: Object.assign({}, ...errors.map((e) => describeError(e).headers)) as Record<string, string>,
      }),
      // Logged as REST's errorResponse logs: by the status the caller gets. tRPC reports a domain error a procedure
      // throws (NOT_FOUND for an unknown incident, the UNAUTHENTICATED end of a subscription) as
      // INTERNAL_SERVER_ERROR with the error as its cause, which describeError unwraps; judging by tRPC's code logged
      // every such refusal as a failure, with a stack.
      onError: ({ error, path }) => {
        const { status } = describeError(error);
        if (status === 503) logRefusedRequest(c.get('log')(), error.cause ?? error, { path });
        else if (status >= 500) c.get('log')().error({ err: error.cause ?? error, path }, 'procedure failed');
      },
    }),
  );

  const rest = mountRest(app, {
    router: deps.router,
    prefix: REST_PREFIX,
    createContext: contextFor,
    maxBodyBytes: deps.maxBodyBytes,
  });
  const rooms = mountRoomRoute(app, {
    db: deps.db,
    hub: deps.hub,
    metrics: deps.metrics,
    upgradeWebSocket: ws.upgradeWebSocket,
    pingIntervalMs: deps.pingIntervalMs ?? 30_000,
    allowedOrigins: deps.corsOrigins ?? [],
    auth: deps.auth,
  });

  mountHealth(app, deps.db);
  getWithSlash(app, '/metrics', async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }),
  );
  getWithSlash(app, '/openapi.json', async (c) => {
    openapi ??= JSON.stringify((await import('./rest/document.js')).openApiDocument());
    return c.body(openapi, 200, { 'content-type': 'application/json' });
  });
  mountDocs(app);
  const consolePage = mountConsole(app);

  app.notFound(
    (c) =>
      rest.methodNotAllowed(c) ??
      plainGetNotAllowed(c) ??
      // A browser at a mistyped address gets the console, which says "Page not found" (status 404 all the same).
      (wantsConsolePage(c)
        ? consolePage(c, 404)
        : errorResponse(c, new HttpError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`))),
  );
  app.onError((err, c) => errorResponse(c, err));
  return {
    app,
    injectWebSocket(server) {
      ws.injectWebSocket(server);
      guardUpgrades(server, deps.logger, deps.metrics);
    },
    stop: () => rooms.stop(),
    drain: () => drain.start(),
  };
}
