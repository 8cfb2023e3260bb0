// What the REST facade relies on in tRPC (src/rest/mount.ts, src/rest/routes.ts): `callTRPCProcedure`, which
// @trpc/server exports but marks internal, and a procedure's `_def.type`. A tRPC upgrade that changes either fails
// here, not on a user's request.
import { callTRPCProcedure, initTRPC, TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { restRoutes } from '../../src/rest/routes.js';
import { createAppRouter } from '../../src/routers/index.js';
import type { Meta } from '../../src/trpc/init.js';

const t = initTRPC.context<{ user: string }>().meta<Meta>().create();
const seen: string[] = [];
const tracked = t.procedure.use(({ ctx, path, type, next }) => {
  seen.push(`${type} ${path} ${ctx.user}`);
  return next();
});
const router = t.router({
  things: t.router({
    get: tracked
      .meta({ openapi: { method: 'GET', path: '/things/{id}' }, scope: 'read' })
      .input(z.object({ id: z.string().min(1) }))
      .query(({ input, ctx }) => ({ id: input.id, by: ctx.user })),
    make: tracked
      .meta({ openapi: { method: 'POST', path: '/things' }, scope: 'write' })
      .input(z.object({ name: z.string() }))
      .mutation(({ input }) => ({ made: input.name })),
  }),
});

const call = (path: string, type: 'query' | 'mutation', input: unknown) =>
  callTRPCProcedure({
    router,
    path,
    type,
    ctx: { user: 'ana' },
    getRawInput: () => Promise.resolve(input),
    signal: undefined,
    batchIndex: 0,
  });

describe('callTRPCProcedure, as the REST facade calls it', () => {
  it('runs middleware with the context, validates input and returns the result', async () => {
    seen.length = 0;
    await expect(call('things.get', 'query', { id: 'a1' })).resolves.toEqual({ id: 'a1', by: 'ana' });
    await expect(call('things.make', 'mutation', { name: 'x' })).resolves.toEqual({ made: 'x' });
    expect(seen).toEqual(['query things.get ana', 'mutation things.make ana']);
  });

  it('throws a BAD_REQUEST TRPCError with the validation failure as its cause', async () => {
    const err = await call('things.get', 'query', { id: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe('BAD_REQUEST');
    expect((err as TRPCError).cause).toBeDefined();
  });

  it('refuses a procedure called with the wrong type, or a path with none, as NOT_FOUND', async () => {
    for (const [path, type] of [
      ['things.make', 'query'],
      ['things.gone', 'query'],
    ] as const) {
      const err = await call(path, type, {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect((err as TRPCError).code).toBe('NOT_FOUND');
    }
  });
});

describe('restRoutes', () => {
  it("reads each procedure's type off its definition", () => {
    expect(restRoutes(router).map((r) => [r.path, r.method, r.type])).toEqual([
      ['things.get', 'GET', 'query'],
      ['things.make', 'POST', 'mutation'],
    ]);
  });

  it('gives every route of the app a query or mutation type: GETs are queries, the rest mutations', () => {
    const routes = restRoutes(createAppRouter({ validateOutput: false }));
    expect(routes.length).toBeGreaterThan(20);
    for (const r of routes) expect([r.path, r.type]).toEqual([r.path, r.method === 'GET' ? 'query' : 'mutation']);
  });
});
