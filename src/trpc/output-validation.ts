// Output schemas type AppRouter and describe every response in openapi.json. Checking each response against them
// at run time is a debugging aid, not a guarantee the types and the database constraints do not already give, and
// it costs a middleware layer on every call (measured: ~35 µs of a GET's ~600 µs of server CPU; README
// "Performance"). So it is a switch, VALIDATE_OUTPUT: the test suite turns it on, so a handler whose result
// drifts from its schema fails a test, and production leaves it off (atproto made the same call, bluesky-social/atproto#778).
import type { AnyRouter } from '@trpc/server';

interface Middleware {
  _type?: string;
}
interface ProcedureDef {
  middlewares: Middleware[];
}

// The full chains as built, so the switch can be turned back on in the same process (tests start many servers).
const original = new WeakMap<ProcedureDef, Middleware[]>();

/**
 * Keeps or drops tRPC's output validator (the middleware `.output()` adds, marked `_type: 'output'`) on every
 * procedure of `router`. The router is a module singleton, so this applies process-wide.
 */
export function setOutputValidation(router: AnyRouter, enabled: boolean): void {
  for (const proc of Object.values(router._def.procedures as Record<string, { _def: ProcedureDef }>)) {
    const def = proc._def;
    let all = original.get(def);
    if (!all) original.set(def, (all = [...def.middlewares]));
    const chain = enabled ? all : all.filter((m) => m._type !== 'output');
    def.middlewares.splice(0, def.middlewares.length, ...chain);
  }
}
