// Output schemas type AppRouter and describe every response in openapi.json. Checking each response against them
// at run time is a debugging aid the types and the database constraints already mostly give, and it costs a parse
// of every response, so it is a switch, VALIDATE_OUTPUT: the test suite turns it on, so a handler whose result
// drifts from its schema fails a test, and production leaves it off (atproto made the same call,
// bluesky-social/atproto#778). The switch is chosen once, when the router is built (src/routers/index.ts).
import type { z } from 'zod';

/**
 * What a procedure's `.output()` receives: the schema itself (tRPC parses every result with it, and trpc-to-openapi
 * documents it), or, with validation off, a function tRPC calls instead that passes the result through unchanged.
 * Both give the procedure the same output type.
 */
export type CheckedOutput<S extends z.ZodType> = S | ((value: unknown) => z.output<S>);
export type OutputPolicy = <S extends z.ZodType>(schema: S) => CheckedOutput<S>;

/** The policy for a router: validate every result (tests, openapi.json), or trust the handlers (production). */
export function outputPolicy(validate: boolean): OutputPolicy {
  if (validate) return (schema) => schema;
  return <S extends z.ZodType>() =>
    function trustedOutput(value: unknown): z.output<S> {
      return value as z.output<S>;
    };
}
