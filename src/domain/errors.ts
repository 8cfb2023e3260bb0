// Domain errors: plain Errors with a small code enum. They know nothing of tRPC or HTTP; src/http/errors.ts maps
// them, once, to a status and the one error body (and the tRPC error formatter asks the same module).

/**
 * - NOT_FOUND: a named thing does not exist.
 * - CONFLICT: the request is valid but clashes with the current state (e.g. leaving a closed incident).
 * - INVALID_INPUT: the input is well-formed but not acceptable (the message and `issues` say where).
 * - UNAVAILABLE: a dependency (the database) cannot answer now; the same request may succeed later.
 * - UNAUTHENTICATED: no key, or one that is unknown, expired or revoked, where a key is required.
 * - FORBIDDEN: the key is good but lacks the scope the operation needs (the message names it).
 * - RATE_LIMITED: the caller sent more than its limit allows; `retryAfterSeconds` says when to try again.
 */
export type AppErrorCode =
  'NOT_FOUND' | 'CONFLICT' | 'INVALID_INPUT' | 'UNAVAILABLE' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'RATE_LIMITED';

import type { Issue } from '../../schema/index.js';

/** Where a problem is (`[3].level`, `status`) and what it is. */
export type AppIssue = Issue;

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly issues?: AppIssue[],
    options?: ErrorOptions & {
      /** Scope a FORBIDDEN refusal lacks (RFC 6750 `insufficient_scope`). */
      scope?: string;
      /** Headers a RATE_LIMITED refusal carries (Retry-After, RateLimit, RateLimit-Policy). */
      headers?: Record<string, string>;
    },
  ) {
    super(message, options);
    this.scope = options?.scope;
    this.headers = options?.headers;
  }
  readonly scope: string | undefined;
  readonly headers: Record<string, string> | undefined;
}

export const notFound = (what: string, id: string): AppError => new AppError('NOT_FOUND', `${what} ${id} not found`);
