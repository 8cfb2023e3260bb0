// The REST facade: mounts every procedure with `meta.openapi` on its documented method and path inside Hono.
// trpc-to-openapi's own fetch handler is not used at run time; see README "REST facade" for the gaps this closes
// (query input on PATCH, array bodies, 201s, URL stripping, per-request document rebuilds, in-place schema coercion,
// stack traces in error bodies). Its meta format and document generator are.
import type { AnyRouter } from '@trpc/server';
import type { Context as HonoContext, Hono } from 'hono';
import type { AppEnv } from '../http/env.js';
import type { Context } from '../trpc/context.js';
import { describeError } from '../trpc/errors.js';
import { readInput, UnsupportedMediaType } from './input.js';
import { restRoutes, type RestRoute } from './procedures.js';

type Callable = (input: unknown) => Promise<unknown>;

/** Walks the caller proxy to the procedure at a dotted path. */
function procedureAt(caller: unknown, path: string): Callable {
  let node: unknown = caller;
  for (const seg of path.split('.')) node = (node as Record<string, unknown>)[seg];
  if (typeof node !== 'function') throw new Error(`no procedure at ${path}`);
  return node as Callable;
}

export interface RestOptions {
  router: AnyRouter;
  prefix: `/${string}`;
  createContext(c: HonoContext<AppEnv>): Context;
}

export function mountRest(app: Hono<AppEnv>, opts: RestOptions): RestRoute[] {
  const createCaller = opts.router.createCaller as (ctx: Context) => unknown;
  const routes = restRoutes(opts.router);
  const methodsByPath = new Map<string, string[]>();

  for (const route of routes) {
    const full = `${opts.prefix}${route.honoPath}`.replace(/\/+$/, '');
    methodsByPath.set(full, [...(methodsByPath.get(full) ?? []), route.method]);
    // Each documented path answers with and without a trailing slash.
    app.on(route.method, [full, `${full}/`], async (c) => {
      const ctx = opts.createContext(c);
      try {
        const input = await readInput(c, route);
        const output = await procedureAt(createCaller(ctx), route.path)(input);
        return c.json(output as object, route.successStatus);
      } catch (err) {
        if (err instanceof UnsupportedMediaType) {
          return c.json({ code: 'UNSUPPORTED_MEDIA_TYPE', message: err.message, request_id: ctx.requestId }, 415);
        }
        const { status, body } = describeError(err, ctx.requestId);
        if (status >= 500) ctx.logger.error({ err, procedure: route.path }, 'procedure failed');
        return c.json(body, status as 400);
      }
    });
  }

  // A known path with the wrong method is 405 with Allow, not a bare 404.
  for (const [full, unsorted] of methodsByPath) {
    const methods = [...unsorted].sort();
    app.all(full, (c) => methodNotAllowed(c, methods));
    app.all(`${full}/`, (c) => methodNotAllowed(c, methods));
  }
  return routes;
}

function methodNotAllowed(c: HonoContext<AppEnv>, methods: string[]): Response {
  c.header('Allow', methods.join(', '));
  return c.json(
    {
      code: 'METHOD_NOT_SUPPORTED',
      message: `${c.req.method} is not allowed on ${new URL(c.req.url).pathname}; use ${methods.join(' or ')}`,
      request_id: c.get('requestId'),
    },
    405,
  );
}
