// The single initTRPC: the builders routers use, the meta the REST facade reads, and the error shape tRPC clients get.
import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { ZodType } from 'zod';
import type { Scope } from '../../schema/index.js';
import { checkScope } from '../domain/access.js';
import { describeError, trpcErrorShape } from '../http/errors.js';
import type { Context } from './context.js';

export interface RestMeta {
  /** Success status for REST (default 200). */
  status?: 200 | 201 | 202;
  /** Where REST reads the input from: 'query' for a PATCH documented with `?status=`. Default: GET query, POST body. */
  inputFrom?: 'query' | 'body';
  /**
   * The schema of a top-level JSON array body, for openapi.json: trpc-to-openapi documents object inputs only, so
   * an array input (a batch) is described from this. The same schema the procedure's `.input()` takes.
   */
  arrayBody?: ZodType;
  /** POST that honours an `Idempotency-Key` header (src/rest/idempotency.ts). */
  idempotent?: boolean;
  /** POST that honours `Prefer: return=minimal` (src/rest/prefer.ts): 201 with an empty body. */
  minimalReturn?: boolean;
}
/**
 * `scope`: what a key needs to call the procedure (ingest, read, write, admin). Every procedure declares one; one
 * without is refused at run time and fails the test that walks the router (test/integration/access.test.ts).
 */
export type Meta = OpenApiMeta<{ rest?: RestMeta; scope: Scope }>;

/** How long a quiet subscription waits before it sends a ping (ms). */
export const SSE_PING_MS = 20_000;

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // Subscriptions (SSE) send a ping when they have been quiet this long. A stream with nothing to say sent nothing
    // at all, so a reverse proxy's read timeout (nginx: 60 s) or a NAT cut it, and a client that vanished without
    // closing (a laptop asleep) held its slot in MAX_STREAMS_PER_CLIENT for good: with data going out, TCP gives up
    // on a dead peer within its retransmission limit (~15 min on Linux) (review, 2026-12-02). tRPC's client link
    // reconnects a stream it has heard nothing on, pings included, for reconnectAfterInactivityMs.
    sse: {
      ping: { enabled: true, intervalMs: SSE_PING_MS },
      client: { reconnectAfterInactivityMs: 3 * SSE_PING_MS },
    },
    // tRPC's envelope with the REST error body's fields in `data` (code, message, issues, request_id); the HTTP
    // status tRPC answers with is `data.httpStatus`. Never a stack trace. The same shape our own middleware answers
    // /trpc with (src/http/errors.ts errorResponse).
    errorFormatter({ shape, error, ctx }) {
      const { status, body } = describeError(error, ctx?.requestId);
      return trpcErrorShape(body, status, shape.data.path);
    },
  });

/**
 * The one scope check of every procedure, for /trpc and the REST facade alike (both call through tRPC). It runs
 * before input validation, so a caller without the scope learns nothing about the input's shape.
 */
const requireScope = t.middleware(function requireScope({ ctx, meta, next }) {
  const scope = meta?.scope;
  // Fail closed: a procedure that forgot its scope is a bug, never an open door.
  if (!scope) throw new Error('this procedure declares no scope');
  checkScope(ctx.access, scope);
  return next();
});

export const router = t.router;
export const procedure = t.procedure.use(requireScope);
