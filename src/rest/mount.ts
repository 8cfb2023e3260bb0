// The REST facade: mounts every procedure with `meta.openapi` on its documented method and path inside Hono.
// trpc-to-openapi's own fetch handler is not used at run time; see README "REST facade" for the gaps this closes
// (query input on PATCH, array bodies, 201s, URL stripping, per-request document rebuilds, in-place schema coercion,
// stack traces in error bodies). Its meta format and document generator are.
import type { AnyRouter } from '@trpc/server';
import type { Context as HonoContext, Hono } from 'hono';
import type { AppEnv } from '../http/env.js';
import type { Context } from '../trpc/context.js';
import { jsonBody } from '../http/json-memo.js';
import { describeError } from '../trpc/errors.js';
import { readInput } from './input.js';
import { invokeProcedure } from './invoke.js';
import { restRoutes, type RestRoute } from './procedures.js';

export interface RestOptions {
  router: AnyRouter;
  prefix: `/${string}`;
  createContext(c: HonoContext<AppEnv>): Context;
  /** Larger request bodies are refused with 413. */
  maxBodyBytes: number;
}

export interface MountedRest {
  routes: RestRoute[];
  /** For a request no route matched: 405 with Allow when its path is a REST path, else undefined. */
  methodNotAllowed(c: HonoContext<AppEnv>): Response | undefined;
}

export function mountRest(app: Hono<AppEnv>, opts: RestOptions): MountedRest {
  const routes = restRoutes(opts.router);
  const methodsByPath = new Map<string, string[]>();

  for (const route of routes) {
    const full = `${opts.prefix}${route.honoPath}`.replace(/\/+$/, '');
    methodsByPath.set(full, [...(methodsByPath.get(full) ?? []), route.method]);
    // Each documented path answers with and without a trailing slash.
    app.on(route.method, [full, `${full}/`], async (c) => {
      const ctx = opts.createContext(c);
      try {
        let input = readInput(c, route, opts.maxBodyBytes);
        if (input instanceof Promise) input = (await input) as unknown;
        const output = await invokeProcedure(route.procedure, {
          path: route.path,
          type: route.procedureType,
          ctx,
          getRawInput: () => Promise.resolve(input),
        });
        // A fresh headers object each time: @hono/node-server adds Content-Length to the one it is given.
        return c.body(jsonBody(output), route.successStatus, { 'Content-Type': 'application/json' });
      } catch (err) {
        const { status, body } = describeError(err, ctx.requestId);
        if (status >= 500) ctx.logger.error({ err, procedure: route.path }, 'procedure failed');
        return c.json(body, status as 400);
      }
    });
  }

  // A known path with the wrong method is 405 with Allow, not a bare 404. Checked only once no route matched
  // (from the app's notFound), rather than as catch-all routes every matching request would also collect.
  const known = [...methodsByPath].map(([full, methods]) => ({
    pattern: new RegExp(`^${full.replace(/:\w+/g, '[^/]+')}/?$`),
    methods: [...methods].sort(),
  }));
  return {
    routes,
    methodNotAllowed(c) {
      const path = c.req.path;
      const hit = known.find((k) => k.pattern.test(path));
      return hit ? methodNotAllowed(c, hit.methods) : undefined;
    },
  };
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
