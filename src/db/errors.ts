// Recognises PostgreSQL errors by SQLSTATE; `pg` and PGlite both expose it as `code`.
export const FOREIGN_KEY_VIOLATION = '23503';

export function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Text PostgreSQL cannot store: a NUL character (22021), or a \\u0000 / unpaired surrogate in JSON (22P05). */
export const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

/** Node socket errors that mean the database server cannot be reached (or went away mid-query). */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);
/** Admin shutdown, crash shutdown, cannot connect now (starting up), too many connections. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** What `pg` throws when a connection is lost or cannot be made; these errors carry no code. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

/**
 * Whether `err` means the database is away (unreachable, restarting, out of connections) rather than that the
 * statement was wrong: the same request may succeed later. Looks through `cause` and the parts of an AggregateError
 * (node's connect to every address of a host), a few levels deep.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const code = sqlState(err);
  if (code !== undefined && (UNREACHABLE_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08'))) {
    return true;
  }
  const message = 'message' in err && typeof err.message === 'string' ? err.message : '';
  if (UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return 'cause' in err && isDatabaseUnavailable(err.cause, depth + 1);
}
