// Domain errors: one small code enum, mapped to tRPC codes (and so to HTTP statuses) in one place, trpc/errors.ts.
export type AppErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'BAD_REQUEST';

export interface AppIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly issues?: AppIssue[],
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string): AppError => new AppError('NOT_FOUND', `${what} ${id} not found`);
