// Turns whatever a request threw into one sentence a responder can act on, and reports refused keys to the app.
import { TRPCClientError } from '@trpc/client';
import { reportRefusal } from './access.js';

/** The HTTP status behind a tRPC error, when the server sent one. */
export function httpStatusOf(err: unknown): number | undefined {
  if (!(err instanceof TRPCClientError)) return undefined;
  const data: unknown = err.data;
  if (typeof data === 'object' && data !== null && 'httpStatus' in data && typeof data.httpStatus === 'number')
    return data.httpStatus;
  return undefined;
}

/** A plain-language description of `err`; a 401 or 403 is also reported, so the app can offer the sign-in. */
export function describeError(err: unknown): string {
  const status = httpStatusOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (status === 401) {
    reportRefusal({ status, message });
    return `Not signed in, or the API key was refused: ${message}`;
  }
  if (status === 403) {
    reportRefusal({ status, message });
    return `This API key may not do that: ${message}`;
  }
  if (status === 409) return `The server refused the change (409): ${message}`;
  if (status === 503) return 'The database is unavailable; try again in a moment.';
  if (status === undefined && /fetch|network/i.test(message)) return 'Cannot reach the Warroom server.';
  return message;
}

/** Whether `err` says the server is away (unreachable, or its database down): the kind that heals by itself. */
export function isOutage(err: unknown): boolean {
  const status = httpStatusOf(err);
  if (status === 503) return true;
  const message = err instanceof Error ? err.message : String(err);
  return status === undefined && /fetch|network/i.test(message);
}
