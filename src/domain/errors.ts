// Domain errors: plain Errors with a small code enum. They know nothing of tRPC or HTTP; src/http/errors.ts maps
// them, once, to a status and the one error body (and the tRPC error formatter asks the same module).

/**
 * - NOT_FOUND: a named thing does not exist.
 * - CONFLICT: the request is valid but clashes with the current state (e.g. leaving a closed incident).
 * - INVALID_INPUT: the input is well-formed but not acceptable (the message and `issues` say where).
 * - UNAVAILABLE: a dependency (the database) cannot answer now; the same request may succeed later.
 */
export type AppErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'INVALID_INPUT' | 'UNAVAILABLE';

import type { Issue } from '../../schema/index.js';

/** Where a problem is (`[3].level`, `status`) and what it is. */
export type AppIssue = Issue;

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly issues?: AppIssue[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const notFound = (what: string, id: string): AppError => new AppError('NOT_FOUND', `${what} ${id} not found`);
