// The VALIDATE_OUTPUT switch (src/trpc/output-validation.ts): a result that breaks its output schema fails with
// validation on and passes through with it off, and every app procedure declares an output that the switch governs.
import { initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument } from '../../src/rest/document.js';
import { outputPolicy } from '../../src/trpc/output-validation.js';

const t = initTRPC.create();
const Count = z.object({ n: z.number() });
function build(validate: boolean) {
  const output = outputPolicy(validate);
  const router = t.router({
    wrong: t.procedure.output(output(Count)).query(() => ({ n: 'not a number' }) as unknown as { n: number }),
    right: t.procedure.output(output(Count)).query(() => ({ n: 1 })),
  });
  return t.createCallerFactory(router)({});
}

describe('outputPolicy', () => {
  it('rejects a result that breaks its schema when on', async () => {
    const caller = build(true);
    await expect(caller.wrong()).rejects.toThrow(/Output validation failed/);
    await expect(caller.right()).resolves.toEqual({ n: 1 });
  });

  it('passes results through unchecked when off', async () => {
    const caller = build(false);
    await expect(caller.wrong()).resolves.toEqual({ n: 'not a number' });
    await expect(caller.right()).resolves.toEqual({ n: 1 });
  });

  it('documents a response schema for every REST operation (the document is built from the validating router)', () => {
    const doc = openApiDocument();
    let operations = 0;
    const methods = new Set(['get', 'put', 'post', 'delete', 'patch']);
    for (const item of Object.values(doc.paths ?? {})) {
      const entries = Object.entries(item as Record<string, { responses?: Record<string, { content?: unknown }> }>);
      // A path item may also hold `servers` (the PagerDuty paths sit at the root): not an operation.
      for (const op of entries.filter(([key]) => methods.has(key)).map(([, v]) => v)) {
        const success = Object.entries(op.responses ?? {}).find(([status]) => status.startsWith('2'));
        expect(success?.[1].content).toBeDefined();
        operations++;
      }
    }
    expect(operations).toBeGreaterThanOrEqual(10);
  });
});
