// The one place errors are translated: domain errors to tRPC codes, and any error to the documented error body.
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { ErrorBody } from '../../schema/index.js';
import { AppError, type AppIssue } from '../domain/errors.js';

export function toTRPCError(err: unknown): TRPCError {
  // AppError is a TRPCError.
  if (err instanceof TRPCError) return err;
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'internal server error', cause: err });
}

/** `[3].level`, `status`, `tags[0]`: the path of a Zod issue as a person would write it. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out === '' ? '(input)' : out;
}

interface ZodLikeIssue {
  path: PropertyKey[];
  message: string;
}
function zodIssues(cause: unknown): ZodLikeIssue[] | undefined {
  if (typeof cause !== 'object' || cause === null || !('issues' in cause)) return undefined;
  const issues = (cause as { issues: unknown }).issues;
  return Array.isArray(issues) ? (issues as ZodLikeIssue[]) : undefined;
}

export interface ErrorDescription {
  status: number;
  body: ErrorBody;
}

/** Describes any error for the wire. Unknown errors become a 500 that reveals nothing (the log has the details). */
export function describeError(err: unknown, requestId?: string): ErrorDescription {
  const trpcError = toTRPCError(err);
  const status = getHTTPStatusCodeFromError(trpcError);
  const zIssues = trpcError.code === 'BAD_REQUEST' ? zodIssues(trpcError.cause) : undefined;
  let issues: AppIssue[] | undefined;
  let message = trpcError.message;
  if (zIssues) {
    issues = zIssues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    message = `invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
  } else if (trpcError instanceof AppError) {
    issues = trpcError.issues;
  }
  if (status >= 500 && trpcError.code === 'INTERNAL_SERVER_ERROR') message = 'internal server error';
  const body: ErrorBody = { code: trpcError.code, message };
  if (issues) body.issues = issues;
  if (requestId) body.request_id = requestId;
  return { status, body };
}
