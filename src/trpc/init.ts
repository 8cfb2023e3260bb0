// The single initTRPC: the builders routers use, the meta the REST facade reads, and the error shape tRPC clients get.
import { initTRPC } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { ZodType } from 'zod';
import { describeError } from '../http/errors.js';
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
}
export type Meta = OpenApiMeta<{ rest?: RestMeta }>;

const isTrpcCode = (code: string): code is TRPC_ERROR_CODE_KEY => code in TRPC_ERROR_CODES_BY_KEY;

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // tRPC's envelope with the REST error body's fields in `data` (code, message, issues, request_id); the HTTP
    // status tRPC answers with is `data.httpStatus`. Never a stack trace.
    errorFormatter({ shape, error, ctx }) {
      const { status, body } = describeError(error, ctx?.requestId);
      return {
        message: body.message,
        code: isTrpcCode(body.code) ? TRPC_ERROR_CODES_BY_KEY[body.code] : shape.code,
        data: { ...body, httpStatus: status, path: shape.data.path },
      };
    },
  });

export const router = t.router;
export const procedure = t.procedure;
/** How other transports (the REST facade) call procedures: tRPC's public caller, with their own context. */
export const createCallerFactory = t.createCallerFactory;
