// Recognises database errors: PostgreSQL's by SQLSTATE (`pg` and PGlite both expose it as `code`), and the
// connection failures that mean "the database is away" rather than "the request was wrong".
import { QUERY_DEADLINE_MESSAGE } from './query-deadline.js';

export function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** SQLSTATE 55P03: a statement waited longer than lock_timeout for a lock (or another transaction's row). */
export const LOCK_NOT_AVAILABLE = '55P03';

/** SQLSTATE 25006: a write in a read-only transaction (a standby, or `default_transaction_read_only`). */
export const READ_ONLY_TRANSACTION = '25006';

/** SQLSTATE 23503: a write referenced a row that is not there (deleted meanwhile, as nothing checks before). */
export const FOREIGN_KEY_VIOLATION = '23503';

/** Text PostgreSQL cannot store: a NUL character (22021), or \\u0000 in JSON (22P05; an unpaired surrogate in JSON is 22P02). */
export const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

/** Node's socket errors: the connection could not be made or was cut. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
]);

/**
 * Whether `err` is Node's failure of the connect(2) call itself, whatever its errno: through a Unix socket a stopped
 * PostgreSQL gives ENOENT (its socket file is removed on shutdown), a socket directory it cannot enter EACCES, over
 * TCP EADDRNOTAVAIL. No connection was made, so nothing was sent; such codes are unavailability only here, since an
 * ENOENT elsewhere is a missing file.
 */
function connectFailed(err: object): boolean {
  return 'syscall' in err && err.syscall === 'connect' && sqlState(err)?.startsWith('E') === true;
}
/**
 * SQLSTATEs that say the server cannot serve now (PostgreSQL appendix A), whole classes matched by prefix (below):
 * 08 connection exception; 53 insufficient resources (53100 disk full, 53200 out of memory, 53300 too many
 * connections, 53400 a configuration limit: a full disk gave a 500, operations review 2026-12-02); 57 operator
 * intervention (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now while starting or in recovery,
 * 57P04 database dropped, 57P05 idle session timeout, and 57014 a statement cancelled, by statement_timeout
 * (DB_STATEMENT_TIMEOUT_MS) among others); 58 the database's system errors (58030 an I/O error on its files, 58P01 a
 * file missing); XX internal error, data or index corrupted: the database's failure, never the caller's; and 28, the
 * server's own credentials refused (28P01 a rotated password or an expired lease, 28000 a role that may no longer log
 * in: a review, 2026-12-02, saw 500s), since a caller's credentials are Warroom's keys, never the database's.
 */
const UNAVAILABLE_CLASSES = ['08', '28', '53', '57', '58', 'XX'];

/** Single SQLSTATEs, outside those classes, that say the same. */
const UNAVAILABLE_STATES = new Set([
  // The tables are gone: the database was dropped and created again under the running server, or restored without
  // the schema. Not the caller's fault, and another instance or a restart (which migrates) mends it.
  '42P01',
  '3F000',
  // The server's role may no longer use its tables (grants revoked, a restore with --no-owner): the operator's to
  // mend, never the caller's fault (review, 2026-12-02; it was a 500).
  '42501',
  // Writes refused by a database that only reads: a primary demoted to a standby behind a stale DNS name or pooled
  // connection after a failover, `default_transaction_read_only` set for maintenance, or a managed server that turns
  // itself read-only as its disk fills (Azure Database for PostgreSQL does at 95%). It was a 500. Connections that
  // meet it are replaced (src/db/named-statements.ts), so a failover's new primary is found.
  READ_ONLY_TRANSACTION,
  // 40001 serialization failure and 40P01 deadlock detected: the transaction was rolled back whole, so a retry may
  // succeed (one lock order keeps deadlocks out: src/db/incidents.ts).
  '40001',
  '40P01',
  // The database no longer exists (dropped under a running server).
  '3D000',
  // 72000: snapshot too old (old_snapshot_threshold); the statement may succeed run again.
  '72000',
  // 55P03: a statement waited past lock_timeout. Like a statement timeout, it means "stuck behind a lock or an
  // overloaded server", and nothing was written.
  '55P03',
  // The session was ended for sitting idle inside a transaction (src/db/postgres.ts): that transaction rolled back.
  '25P03',
]);
/** The message of the error a stale named statement inside a transaction fails with (src/db/named-statements.ts). */
export const STALE_STATEMENT_MESSAGE = 'prepared statement went stale; its connection is replaced';
/** The message of a create that waited in the insert queue past its deadline (src/db/incident-insert-queue.ts). */
export const INSERT_QUEUE_TIMEOUT_MESSAGE = 'timeout exceeded waiting for the incident insert queue';

/** `pg` and pg-pool report these without a code. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  QUERY_DEADLINE_MESSAGE,
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Cannot use a pool after calling end on the pool',
  'Client was closed and is not queryable',
  // A database that refuses connections (ALTER DATABASE … ALLOW_CONNECTIONS false, SQLSTATE 55000 is too broad).
  'is not currently accepting connections',
  // Kysely after close: the instance is shutting down.
  'driver has already been destroyed',
  // A named statement went stale inside a transaction (a migration, a pooler): src/db/named-statements.ts.
  STALE_STATEMENT_MESSAGE,
  // A create queued behind inserts that did not finish in time: src/db/incident-insert-queue.ts.
  INSERT_QUEUE_TIMEOUT_MESSAGE,
];

/**
 * Whether `err` says the connection was lost while a statement may have been running on it (cut, reset, or the
 * server shutting down under it: class 08, 57P01, 57P02): then the statement may have committed before the answer
 * was lost, unlike an error that arrives before anything is sent (no connection could be made) or one PostgreSQL
 * reports after rolling the statement back (a timeout, a deadlock). Callers that can look their writes up do so.
 */
export function lostInFlight(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const code = sqlState(err);
  if (code && (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || code.startsWith('08'))) return true;
  if (code === '57P01' || code === '57P02') return true;
  const message = 'message' in err && typeof err.message === 'string' ? err.message : '';
  if (message.includes('Connection terminated')) return true;
  return 'cause' in err && lostInFlight(err.cause, depth + 1);
}

/**
 * Whether `err` means the database cannot answer now (unreachable, restarting, shutting down, out of connections, a
 * timeout), so the same request may succeed later: such errors answer 503 with Retry-After, never 500. Looks through
 * `cause` and the parts of an AggregateError (node's connect to every address of a host), a few levels deep.
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 3) return false;
  const code = sqlState(err);
  if (
    code &&
    (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2)))
  )
    return true;
  if (connectFailed(err)) return true;
  const message = 'message' in err && typeof err.message === 'string' ? err.message : '';
  if (UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return 'cause' in err && isDatabaseUnavailable(err.cause, depth + 1);
}

/**
 * SQLSTATEs answered 503 that will not pass by themselves: the schema gone (42P01, 3F000) or the database (3D000,
 * 57P04), the role refused (42501) or its login (class 28), the database read-only (25006) or its disk full (53100),
 * and the database's own system and internal errors (classes 58 and XX: I/O errors, missing files, corruption). Logged as errors, not as the warnings of a database that is
 * briefly away, so an alert on error logs sees them (review, 2026-12-02).
 */
const OPERATOR_STATES = new Set(['42P01', '3F000', '3D000', '57P04', '42501', READ_ONLY_TRANSACTION, '53100']);
const OPERATOR_CLASSES = ['28', '58', 'XX'];

/** Whether `err` (or its cause) is a failure only an operator can mend: see OPERATOR_STATES. */
export function needsOperator(err: unknown): boolean {
  const kind = failureKind(err);
  return OPERATOR_STATES.has(kind) || OPERATOR_CLASSES.includes(kind.slice(0, 2));
}

/**
 * What kind of failure `err` is, for grouping log lines (src/log-sampler.ts) and needsOperator: the innermost SQLSTATE
 * or system code in it or its causes, else its constructor's name. Innermost, because a wrapper's own code says less
 * than what it wraps: an AppError UNAVAILABLE from the analysis thread carries the SQLSTATE in its cause. A 503 of one
 * kind (a flood of statement timeouts) must not hide the first of another (a full disk) that needs an operator.
 */
export function failureKind(err: unknown): string {
  return innermostCode(err, 0) ?? (err instanceof Error ? err.name : 'other');
}

function innermostCode(err: unknown, depth: number): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 8) return undefined;
  const inner = 'cause' in err ? innermostCode(err.cause, depth + 1) : undefined;
  return inner ?? sqlState(err);
}
