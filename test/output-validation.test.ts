// The VALIDATE_OUTPUT switch: a result that breaks its output schema is a 500 with validation on and passes with it
// off. Guards the switch itself, which reaches into tRPC's procedure definitions.
import { initTRPC } from '@trpc/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appRouter } from '../src/routers/index.js';
import { setOutputValidation } from '../src/trpc/output-validation.js';

const t = initTRPC.create();
const router = t.router({
  wrong: t.procedure.output(z.object({ n: z.number() })).query(() => ({ n: 'not a number' }) as unknown as { n: number }),
});
const caller = t.createCallerFactory(router)({});

describe('setOutputValidation', () => {
  afterEach(() => setOutputValidation(router, true));

  it('rejects a result that breaks its schema when on', async () => {
    setOutputValidation(router, true);
    await expect(caller.wrong()).rejects.toThrow(/Output validation failed/);
  });

  it('skips the check when off, and can be turned back on', async () => {
    setOutputValidation(router, false);
    await expect(caller.wrong()).resolves.toEqual({ n: 'not a number' });
    setOutputValidation(router, true);
    await expect(caller.wrong()).rejects.toThrow(/Output validation failed/);
  });

  it('finds an output validator on every app procedure that declares an output', () => {
    // If tRPC stops marking its output middleware, the switch would silently do nothing; this would fail first.
    type Def = { _def: { output?: unknown; middlewares: Array<{ _type?: string }> } };
    let checked = 0;
    for (const [path, proc] of Object.entries(appRouter._def.procedures as unknown as Record<string, Def>)) {
      if (!proc._def.output) continue;
      expect(proc._def.middlewares.filter((m) => m._type === 'output'), path).toHaveLength(1);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });
});
