// The REST facade: mounts every procedure with `meta.openapi` on its documented method and path inside Hono, and
// calls it through `callTRPCProcedure` (exported by @trpc/server, used by its WebSocket adapter). Why not
// trpc-to-openapi's adapter: docs/architecture.md "The REST facade" lists what it would get wrong for this contract.
import { callTRPCProcedure, type AnyRouter } from '@trpc/server';
import type { Context as HonoContext, Hono } from 'hono';
import type { AppEnv } from '../http/env.js';
import { errorResponse, HttpError } from '../http/errors.js';
import { requestHeader } from '../http/node-io.js';
import type { Context, PageReport } from '../trpc/context.js';
import { answerIdempotent, IDEMPOTENCY_HEADER, requestIdentity } from './idempotency.js';
import { minimalResponse, prefersMinimalReturn } from './prefer.js';
import { readInput } from './input.js';
import { restRoutes, type RestRoute } from './routes.js';
import { AfterCommit } from './after-commit.js';

/** Where the REST facade is mounted. */
export const REST_PREFIX = '/api';

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

/**
 * Runs the procedure of `route` with `ctx` on `input` (already read from the request), through its middleware and
 * input and output validation: the call tRPC's WebSocket adapter makes. tRPC exports it from `@trpc/server` as
 * `callTRPCProcedure` but marks its implementation internal, so test/unit/rest-call.test.ts pins what we rely on
 * (the options it takes, NOT_FOUND for a wrong type) and an upgrade that changes it fails there. Not the caller of
 * `createCallerFactory`, which makes the same call but builds a proxy for every property on every request: 18% of
 * the server's CPU per GET of an incident (docs/performance.md, 2026-11-30, 23:02).
 */
function callProcedure(router: AnyRouter, route: RestRoute, ctx: Context, input: unknown): Promise<unknown> {
  return callTRPCProcedure({
    router,
    path: route.path,
    type: route.type,
    ctx,
    getRawInput: () => Promise.resolve(input),
    signal: undefined,
    batchIndex: 0,
  });
}

/**
 * The `Link` header value (RFC 8288 §3) pointing at the next page: this request's path and query with `param` set to
 * `cursor` (replacing any value it had; every other parameter kept), as a path-absolute URI reference, which RFC 8288
 * resolves against the request URL (so no Host header or proxy prefix is trusted here). Cursors are base64url, so
 * the reference needs no escaping beyond what URLSearchParams does.
 */
export function nextLink(requestUrl: string, next: NonNullable<PageReport['next']>): string {
  const url = new URL(requestUrl);
  url.searchParams.set(next.param, next.cursor);
  // The cursor says where the next page starts; an offset on top of it would skip rows (and is refused).
  url.searchParams.delete('offset');
  return `<${url.pathname}${url.search}>; rel="next"`;
}

/**
 * 405 with Allow: the path is known, the method is not one of `methods`. HEAD is listed beside GET, since every GET
 * route answers it (Hono); RFC 9110 §10.2.1 has Allow list what the resource supports.
 */
function notAllowed(c: HonoContext<AppEnv>, methods: readonly string[]): Response {
  const sorted = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].sort();
  return errorResponse(
    c,
    new HttpError(
      'METHOD_NOT_SUPPORTED',
      `${c.req.method} is not allowed on ${c.req.path}; use ${sorted.join(' or ')}`,
      {
        Allow: sorted.join(', '),
      },
    ),
  );
}

export function mountRest(app: Hono<AppEnv>, opts: RestOptions): MountedRest {
  const routes = restRoutes(opts.router);
  const fullPath = (route: RestRoute): string => `${opts.prefix}${route.honoPath}`.replace(/\/+$/, '');
  const methodsByPath = new Map<string, string[]>();
  for (const route of routes) {
    const full = fullPath(route);
    methodsByPath.set(full, [...(methodsByPath.get(full) ?? []), route.method]);
  }
  // Every documented path as a pattern, for the 405s below.
  const known = [...methodsByPath].map(([full, methods]) => ({
    full,
    pattern: new RegExp(`^${full.replace(/:\w+/g, '[^/]+')}/?$`),
    methods: [...methods].sort(),
  }));

  for (const route of routes) {
    const full = fullPath(route);
    // Paths without parameters that this route's pattern also matches, served with other methods only: GET
    // /api/ingest/events/batch would be the events of incident "batch". Found once here, so the routes no such path
    // shadows (nearly all) pay nothing per request.
    const pattern = known.find((k) => k.full === full)?.pattern;
    const shadowed = new Map(
      known
        .filter(
          (k) => !k.full.includes(':') && k.full !== full && pattern?.test(k.full) && !k.methods.includes(route.method),
        )
        .map((k) => [k.full, k.methods]),
    );
    // Each documented path answers with and without a trailing slash.
    app.on(route.method, [full, `${full}/`], async (c) => {
      if (shadowed.size > 0) {
        const methods = shadowed.get(c.req.path.replace(/\/$/, ''));
        if (methods) return notAllowed(c, methods);
      }
      try {
        const input = await readInput(c, route, opts.maxBodyBytes);
        const ctx = opts.createContext(c);
        const key = route.meta.rest?.idempotent ? requestHeader(c, IDEMPOTENCY_HEADER) : undefined;
        const minimal = route.meta.rest?.minimalReturn === true && prefersMinimalReturn(requestHeader(c, 'prefer'));
        if (key !== undefined) {
          // Announced only once the transaction that stores the response has committed.
          const after = new AfterCommit(ctx.changes, ctx.analysis);
          const response = await answerIdempotent(c, {
            minimal,
            db: ctx.db,
            // Keys of different callers never meet; '' while the server is open.
            principal: ctx.access.principal?.id ?? '',
            key,
            request: requestIdentity(`${route.method} ${route.path}`, input),
            status: route.successStatus,
            // The procedure writes through the same transaction that stores its response.
            run: (tx) =>
              callProcedure(
                opts.router,
                route,
                { ...ctx, db: tx, changes: after.changes, analysis: after.analysis },
                input,
              ),
          });
          after.flush();
          return response;
        }
        const output = await callProcedure(opts.router, route, ctx, input);
        if (ctx.page.next) c.header('Link', nextLink(c.req.url, ctx.page.next));
        if (minimal) return minimalResponse(c, route.successStatus);
        if (ctx.response.json !== undefined) {
          return c.body(ctx.response.json(), route.successStatus, { 'Content-Type': 'application/json' });
        }
        return c.json(output as object, route.successStatus);
      } catch (err) {
        return errorResponse(c, err);
      }
    });
  }

  return {
    routes,
    // A known path with the wrong method is 405 with Allow, not a bare 404. Checked only once no route matched
    // (from the app's notFound), rather than as catch-all routes every matching request would also collect.
    methodNotAllowed(c) {
      const hit = known.find((k) => k.pattern.test(c.req.path));
      return hit ? notAllowed(c, hit.methods) : undefined;
    },
  };
}
