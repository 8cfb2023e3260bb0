// A client-side deadline on each statement. PostgreSQL's statement_timeout (DB_STATEMENT_TIMEOUT_MS) is enforced by
// the server, so it cannot fire when the server does not run: a frozen VM, a stopped process, a network that drops
// packets without resetting. TCP does not notice either (a frozen host's kernel still acknowledges; keep-alive
// probes go only on idle connections), so a request whose statement was sent hung for as long as the freeze lasted,
// and shutdown with it (operations review, 2026-12-02: 40 s requests answered 200 after the freeze, SIGTERM stuck).
// The deadline is the statement timeout plus a grace, so a server that runs cancels first (57014, its own 503);
// past it the connection is ended, which fails the statement with this module's error, answered 503.

/** Added to the statement timeout: time for a cancelled statement's error to come back from a running server. */
export const QUERY_DEADLINE_GRACE_MS = 2_000;

/** The message of a statement given up on the client side (recognised as "the database is away": ./errors.ts). */
export const QUERY_DEADLINE_MESSAGE = 'the database did not answer within the statement deadline';

/**
 * The statements by which a session turns its statement_timeout off and back (src/db/migrator.ts): a migration may
 * run for minutes, so while its connection has no statement_timeout it has no deadline either.
 */
export const STATEMENT_TIMEOUT_OFF_SQL = 'set statement_timeout = 0';
export const STATEMENT_TIMEOUT_RESTORE_SQL = "select set_config('statement_timeout', $1, false)";

/** The longest delay Node's timers take (2^31 - 1 ms); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The deadline (ms; 0: none) for sessions of a pool whose statement_timeout is `statementTimeoutMs` (0: none), at
 * most MAX_TIMER_MS: DB_STATEMENT_TIMEOUT_MS may be that long itself, and the grace on top made Node's timer fire
 * after 1 ms, failing every statement (review of the change, 2026-12-02).
 */
export const queryDeadlineMs = (statementTimeoutMs: number): number =>
  statementTimeoutMs > 0 ? Math.min(statementTimeoutMs + QUERY_DEADLINE_GRACE_MS, MAX_TIMER_MS) : 0;

/**
 * `run`'s result, or, when it has not settled within `ms` (0: no deadline), an Error(QUERY_DEADLINE_MESSAGE) once
 * `abandon` (which ends the connection, so the statement fails and the connection is not reused) has been called
 * and the statement has failed. The statement's own error is the cause.
 */
export async function withDeadline<T>(run: Promise<T>, ms: number, abandon: () => void): Promise<T> {
  if (ms <= 0) return run;
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    abandon();
  }, ms);
  try {
    return await run;
  } catch (err) {
    if (expired) throw new Error(QUERY_DEADLINE_MESSAGE, { cause: err });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
