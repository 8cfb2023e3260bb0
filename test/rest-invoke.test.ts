// invokeProcedure (the REST facade's way of running a procedure) against tRPC's own procedure call: the same
// results, the same errors, and every middleware seeing the same options. It re-implements tRPC's middleware loop,
// so a tRPC upgrade that changes that loop fails here first.
import { TRPCError, initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { invokeProcedure } from '../src/rest/invoke.js';
import type { Context } from '../src/trpc/context.js';

interface Seen {
  at: string;
  ctx: unknown;
  input: unknown;
  rawInput: unknown;
  meta: unknown;
  path: string;
  type: string;
}

function build() {
  const seen: Seen[] = [];
  const t = initTRPC.context<{ requestId: string; user?: string }>().meta<{ tag: string }>().create();
  const record = (at: string) =>
    t.middleware(async (opts) => {
      seen.push({ at, ctx: opts.ctx, input: opts.input, rawInput: await opts.getRawInput(), meta: opts.meta, path: opts.path, type: opts.type });
      return opts.next();
    });
  const base = t.procedure
    .meta({ tag: 'm' })
    .use(record('first'))
    .use(({ next }) => next({ ctx: { user: 'ana' } }))
    .input(z.object({ a: z.coerce.number() }))
    .use(record('after-input'))
    .input(z.object({ b: z.string().default('dflt') }));
  const router = t.router({
    echo: base.output(z.object({ sum: z.string(), user: z.string() })).query(({ ctx, input }) => ({ sum: `${input.a}:${input.b}`, user: ctx.user ?? '' })),
    rewrites: base
      .use(({ next }) => next({ input: { replaced: true } }))
      .use(({ next }) => next({ getRawInput: async () => ({ raw: 'swapped' }) }))
      .use(record('after-rewrite'))
      .mutation(({ input }) => input),
    plainError: base.query(() => {
      throw new Error('disk on fire');
    }),
    trpcError: base.query(() => {
      throw new TRPCError({ code: 'CONFLICT', message: 'already closed' });
    }),
    badOutput: base.output(z.object({ n: z.number() })).query(() => ({ n: 'x' }) as unknown as { n: number }),
    noNext: base.use(async () => undefined as never).query(() => 'unreachable'),
  });
  return { router, seen };
}

type Procs = ReturnType<typeof build>['router']['_def']['procedures'];

async function both(name: keyof Procs, rawInput: unknown, type: 'query' | 'mutation' = 'query') {
  const run = async (how: 'trpc' | 'ours') => {
    const { router, seen } = build();
    const proc = router._def.procedures[name];
    const opts = { path: name, type, ctx: { requestId: 'r1' } as unknown as Context, getRawInput: () => Promise.resolve(rawInput) };
    const call = how === 'trpc' ? (proc as unknown as (o: typeof opts) => Promise<unknown>)(opts) : invokeProcedure(proc, opts);
    const outcome = await call.then(
      (value) => ({ value }),
      (err: unknown) => ({
        error: err instanceof TRPCError ? { code: err.code, message: err.message, cause: err.cause?.message } : String(err),
      }),
    );
    return { outcome, seen };
  };
  return { trpc: await run('trpc'), ours: await run('ours') };
}

describe('invokeProcedure', () => {
  it('returns what the procedure returns, with merged inputs and the context a middleware added', async () => {
    const { trpc, ours } = await both('echo', { a: '2', extra: 1 });
    expect(ours.outcome).toEqual({ value: { sum: '2:dflt', user: 'ana' } });
    expect(ours).toEqual(trpc);
    // Each middleware saw the same options under both: the first before input parsing, the next after it.
    expect(ours.seen.map((s) => [s.at, s.input, s.ctx])).toEqual([
      ['first', undefined, { requestId: 'r1' }],
      ['after-input', { a: 2 }, { requestId: 'r1', user: 'ana' }],
    ]);
  });

  it('passes a middleware’s replaced input and raw input on, as tRPC does', async () => {
    const { trpc, ours } = await both('rewrites', { a: 1 }, 'mutation');
    expect(ours.outcome).toEqual({ value: { replaced: true } });
    expect(ours.seen.at(-1)).toMatchObject({ at: 'after-rewrite', rawInput: { raw: 'swapped' }, type: 'mutation', path: 'rewrites' });
    expect(ours).toEqual(trpc);
  });

  it('fails bad input with BAD_REQUEST before the resolver runs', async () => {
    const { trpc, ours } = await both('echo', { a: 'not a number' });
    expect(ours.outcome).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect(ours).toEqual(trpc);
  });

  it('wraps a thrown Error as INTERNAL_SERVER_ERROR with it as the cause, and keeps a TRPCError as it is', async () => {
    const plain = await both('plainError', { a: 1 });
    expect(plain.ours.outcome).toEqual({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'disk on fire', cause: 'disk on fire' } });
    expect(plain.ours).toEqual(plain.trpc);
    const typed = await both('trpcError', { a: 1 });
    expect(typed.ours.outcome).toEqual({ error: { code: 'CONFLICT', message: 'already closed', cause: undefined } });
    expect(typed.ours).toEqual(typed.trpc);
  });

  it('runs the output validator when the chain has one', async () => {
    const { trpc, ours } = await both('badOutput', { a: 1 });
    expect(ours.outcome).toMatchObject({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Output validation failed' } });
    expect(ours).toEqual(trpc);
  });

  it('fails a chain whose middleware never calls next, as tRPC does', async () => {
    const { trpc, ours } = await both('noNext', { a: 1 });
    expect(ours.outcome).toMatchObject({ error: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(ours).toEqual(trpc);
  });
});
