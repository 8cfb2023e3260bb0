// createApp(deps) → the Hono app: /trpc, the REST facade under /api, /health, /metrics, /openapi.json, /docs.
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { Hono, type Context as HonoContext } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './db/types.js';
import type { ChangeSink } from './domain/changes.js';
import { mountDocs } from './http/docs.js';
import type { AppEnv } from './http/env.js';
import { requestContext } from './http/request-context.js';
import type { Metrics } from './metrics.js';
import { mountRest } from './rest/mount.js';
import { buildOpenApiDocument } from './rest/openapi.js';
import { appRouter } from './routers/index.js';
import type { Context } from './trpc/context.js';

export const REST_PREFIX = '/api';
export const VERSION = '0.1.0';

export interface AppDependencies {
  db: Kysely<Database>;
  logger: Logger;
  metrics: Metrics;
  changes: ChangeSink;
  maxBodyBytes: number;
}

const HEALTH_TIMEOUT_MS = 2000;

async function databaseAnswers(db: Kysely<Database>): Promise<true | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`database did not answer within ${HEALTH_TIMEOUT_MS} ms`), HEALTH_TIMEOUT_MS);
  });
  try {
    const probe = sql`select 1`.execute(db).then(
      () => true as const,
      (err: unknown) => `database error: ${err instanceof Error ? err.message : String(err)}`,
    );
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function createApp(deps: AppDependencies): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const openapi = JSON.stringify(buildOpenApiDocument(appRouter, { version: VERSION, prefix: REST_PREFIX }));

  const contextFor = (c: HonoContext<AppEnv>): Context => ({
    db: deps.db,
    changes: deps.changes,
    logger: c.get('logger'),
    requestId: c.get('requestId'),
  });

  app.use('*', requestContext(deps.logger, deps.metrics));
  const limit = bodyLimit({
    maxSize: deps.maxBodyBytes,
    onError: (c) =>
      c.json(
        {
          code: 'PAYLOAD_TOO_LARGE',
          message: `request body is larger than ${deps.maxBodyBytes} bytes`,
          request_id: c.get('requestId'),
        },
        413,
      ),
  });
  app.use(`${REST_PREFIX}/*`, limit);
  app.use('/trpc/*', limit);

  app.all('/trpc/*', (c) =>
    fetchRequestHandler({
      endpoint: '/trpc',
      req: c.req.raw,
      router: appRouter,
      createContext: () => contextFor(c),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') c.get('logger').error({ err: error.cause ?? error, path }, 'procedure failed');
      },
    }),
  );

  mountRest(app, { router: appRouter, prefix: REST_PREFIX, createContext: contextFor });

  app.get('/health', async (c) => {
    const ok = await databaseAnswers(deps.db);
    return ok === true ? c.json({ status: 'healthy' }) : c.json({ status: 'unhealthy', database: ok }, 503);
  });
  app.get('/metrics', async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }),
  );
  app.get('/openapi.json', (c) => c.body(openapi, 200, { 'content-type': 'application/json' }));
  mountDocs(app);

  app.notFound((c) =>
    c.json(
      { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}`, request_id: c.get('requestId') },
      404,
    ),
  );
  app.onError((err, c) => {
    c.get('logger').error({ err }, 'unhandled error');
    return c.json({ code: 'INTERNAL_SERVER_ERROR', message: 'internal server error', request_id: c.get('requestId') }, 500);
  });
  return app;
}
