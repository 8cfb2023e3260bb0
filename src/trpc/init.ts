// The single initTRPC: builders, the meta type REST routing reads, and the error shape tRPC clients receive.
import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { Context } from './context.js';
import { describeError } from './errors.js';

export interface RestMeta {
  /** Success status for REST (default 200). */
  status?: 200 | 201;
  /** Where REST reads the input from: 'query' for a PATCH documented with `?status=`. Default: GET query, POST body. */
  inputFrom?: 'query' | 'body';
}
export type Meta = OpenApiMeta<{ rest?: RestMeta }>;

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // Same fields as the REST error body inside tRPC's envelope; never a stack trace.
    errorFormatter({ shape, error, ctx }) {
      const { status, body } = describeError(error, ctx?.requestId);
      return { message: body.message, code: shape.code, data: { ...body, httpStatus: status, path: shape.data.path } };
    },
  });

export const router = t.router;
// No middleware: domain errors are TRPCErrors already (domain/errors.ts), and every layer costs each call.
export const procedure = t.procedure;
