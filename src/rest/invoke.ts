// Runs a procedure's middleware chain for the REST facade: the same middlewares, in the same order, with the same
// options and error wrapping as tRPC's own procedure call (@trpc/server 11.25, `callRecursive` in initTRPC).
//
// Why not call the procedure itself: tRPC's published build down-levels every object spread to a helper that
// copies through property descriptors (`_objectSpread2`: Object.getOwnPropertyDescriptors + defineProperties),
// six times per call. Under `--cpu-prof` that helper was the largest self-time in GET /api/incidents/{id} (~10%,
// ~6 µs of ~60 µs in-process; README "Performance"). Native spreads build the same objects at a fraction of that.
// tRPC's own endpoint (/trpc) still calls procedures the tRPC way. test/rest-invoke.test.ts holds this chain to
// tRPC's: same results, same errors, same context and input seen by every middleware.
import { TRPCError } from '@trpc/server';
import { getTRPCErrorFromUnknown, middlewareMarker } from '@trpc/server/unstable-core-do-not-import';
import type { AnyProcedure } from '@trpc/server';
import type { Context } from '../trpc/context.js';

interface NextOptions {
  ctx?: Record<string, unknown>;
  input?: unknown;
  getRawInput?: () => Promise<unknown>;
}

interface CallOptions {
  path: string;
  type: 'query' | 'mutation';
  ctx: Context | Record<string, unknown>;
  input?: unknown;
  getRawInput(): Promise<unknown>;
}

type MiddlewareResult = { ok: true; data: unknown } | { ok: false; error: TRPCError };
type Middleware = (opts: CallOptions & { meta: unknown; next(opts?: NextOptions): Promise<MiddlewareResult> }) => Promise<MiddlewareResult>;

interface ProcedureDef {
  middlewares: Middleware[];
  meta?: unknown;
}

async function callFrom(def: ProcedureDef, index: number, opts: CallOptions): Promise<MiddlewareResult> {
  try {
    const middleware = def.middlewares[index];
    if (!middleware) throw new Error(`middleware ${index} is missing`);
    return await middleware({
      ...opts,
      meta: def.meta,
      input: opts.input,
      next(nextOpts?: NextOptions) {
        return callFrom(def, index + 1, {
          ...opts,
          ctx: nextOpts?.ctx ? { ...opts.ctx, ...nextOpts.ctx } : opts.ctx,
          input: nextOpts && 'input' in nextOpts ? nextOpts.input : opts.input,
          getRawInput: nextOpts?.getRawInput ?? opts.getRawInput,
        });
      },
    });
  } catch (cause) {
    return { ok: false, error: getTRPCErrorFromUnknown(cause), marker: middlewareMarker } as MiddlewareResult;
  }
}

/** The procedure's result, or throws the TRPCError its chain ended with (as calling the procedure would). */
export async function invokeProcedure(
  procedure: AnyProcedure,
  opts: { path: string; type: 'query' | 'mutation'; ctx: Context; getRawInput(): Promise<unknown> },
): Promise<unknown> {
  const result = await callFrom(procedure._def as unknown as ProcedureDef, 0, opts);
  if (!result) {
    throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'No result from middlewares - did you forget to `return next()`?' });
  }
  if (!result.ok) throw result.error;
  return result.data;
}
