// Server-side prepared statements for the hot queries. PostgreSQL parses, analyses and plans an unnamed statement
// every time it runs; a named one it parses once per connection and, after five runs, may keep one generic plan.
// Measured straight through `pg` (32 connections; docs/performance.md, 2026-11-30 "named statements"): PostgreSQL's CPU per
// incident insert 620 µs unnamed and 400 named, per read by primary key 220 and 100. asyncpg (the Python peer's
// driver) does this for every query; `pg` does it for a query given a `name`
// (https://node-postgres.com/features/queries#prepared-statements), and Kysely's dialect takes any pool whose
// clients answer `query(sql, parameters)` (its PostgresPool interface), so the naming happens in a pool wrapper.
//
// Only statements registered here are named, each by a hash of its text: fixed texts whose plan does not depend on
// the values (inserts, reads and updates by primary key). Naming every query would prepare one statement per
// distinct text on every connection, without bound (IN lists of varying length, optional filters), and a generic
// plan is wrong for a query whose best plan depends on the values (a list filtered on a rare or a common status).
import { createHash } from 'node:crypto';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import pg from 'pg';
import { isCopyStatement, runCopy } from './copy-statements.js';
import { READ_ONLY_TRANSACTION, sqlState, STALE_STATEMENT_MESSAGE } from './errors.js';
import { STATEMENT_TIMEOUT_OFF_SQL, STATEMENT_TIMEOUT_RESTORE_SQL, withDeadline } from './query-deadline.js';

const { DatabaseError } = pg;

const names = new Map<string, string>();
const noop = (): void => undefined;

/**
 * Registers `sql` to run as a named statement on pools made by `namingPool`; returns the name (`warroom_` and 16 hex
 * digits of its SHA-256), the same for the same text in every process, so instances and the analysis thread agree.
 */
export function nameStatement(sql: string): string {
  let name = names.get(sql);
  if (!name) {
    name = `warroom_${createHash('sha256').update(sql).digest('hex').slice(0, 16)}`;
    names.set(sql, name);
  }
  return name;
}

/** The name `sql` runs under, or undefined when it runs unnamed. */
export const statementName = (sql: string): string | undefined => names.get(sql);

/**
 * A session that does not hold the statements this client believes it prepared, or holds another's under our name:
 * 26000 "prepared statement does not exist", 42P05 "prepared statement already exists". Nothing in Warroom drops or
 * reuses statement names (no DEALLOCATE, no DISCARD), so either means a pooler that moves sessions between clients
 * (PgBouncer in transaction mode before 1.21, or with max_prepared_statements = 0): naming stops for the process at
 * the first one, and says so.
 */
const POOLER_STATES = new Set(['26000', '42P05']);

/**
 * How a named statement fails once a migration changed the schema under it. PostgreSQL re-checks a prepared
 * statement after a schema change by analysing its text again, so names of tables and columns are looked up afresh
 * and fail the same way unnamed; what it keeps are the parameter types inferred when the statement was prepared and
 * the shape of its result. So: 0A000 "cached plan must not change result type" (a column added to a table a
 * `select *` reads), and the errors of a parameter whose column changed type: 42804 datatype mismatch, 42883 no such
 * operator or function for the old type, 42846 cannot coerce, 42725 ambiguous function. Any other error is the
 * statement's own and reaches the caller as it is.
 */
function outdated({ code, message }: pg.DatabaseError): boolean {
  if (code === '0A000') return message.includes('cached plan must not change result type');
  return code === '42804' || code === '42883' || code === '42846' || code === '42725';
}

/** Stale statements met within this long make one log line (a rolling upgrade meets them on every connection). */
const STALE_LOG_INTERVAL_MS = 30_000;

/**
 * A write refused as read-only (25006) replaces the pool's connections at most this often (ms). Such a connection
 * may lead to a primary demoted after a failover (a DNS name or VIP that has moved on since it was opened, as after
 * an Aurora or Patroni failover), and new ones reach the new primary; but a database that stays read-only (a disk
 * nearly full on a managed server) must not turn every refused write into a new connection.
 */
export const READ_ONLY_REPLACE_INTERVAL_MS = 5_000;

export interface NamingPoolOptions {
  /** Name registered statements (default true); off for a pooler that cannot keep them. */
  naming?: boolean;
  /**
   * Each statement's client-side deadline (ms; 0 or absent: none), ./query-deadline.ts: past it the connection is
   * ended and the statement fails with QUERY_DEADLINE_MESSAGE.
   */
  deadlineMs?: number;
  /** The pool stopped naming statements: a pooler symptom (above); called once. */
  onNamingOff?: (detail: string) => void;
  /** A stale named statement was met and the pool's connections are being replaced; at most every 30 s. */
  onStale?: (err: unknown) => void;
  /**
   * A write was refused as read-only and the pool's connections are being replaced (at most every
   * READ_ONLY_REPLACE_INTERVAL_MS): connections made elsewhere to the same database (the room bus, the analysis
   * thread's) may lead to a demoted primary too, and should be made again.
   */
  onReadOnly?: () => void;
}

/** What the wrapper keeps per pooled pg client (a WeakMap, so the wrapper is made once per client). */
interface ClientState {
  wrapped: PostgresPoolClient;
  /** The pool's staleness generation when this client was opened: an older one is replaced at its next checkout. */
  generation: number;
  /** Its named statements no longer fit: destroyed on release instead of going back to the pool. */
  stale: boolean;
  /** The deadline of its statements now (ms; 0: none): none while a migration turned its statement_timeout off. */
  deadlineMs: number;
}

/** pg's result is what Kysely reads (`command`, `rowCount`, `rows`); pg types `command` as any string tag. */
const asKysely = <R>(result: Promise<pg.QueryResult>): Promise<PostgresQueryResult<R>> =>
  result as unknown as Promise<PostgresQueryResult<R>>;

/**
 * The pool Kysely gets: each checked-out client runs registered statements by name, a registered COPY
 * (./copy-statements.ts) as a COPY whose one parameter is its data, everything else as given.
 *
 * A named statement that fails as outdated (above) outside a transaction runs again unnamed on the same connection:
 * outside a transaction every statement `pg` sends ends with its own Sync, so the failed one ran in an implicit
 * transaction that rolled back whole (triggers and CTEs included), and the caller gets the unnamed run's result. If
 * the unnamed run fails the same way, the error was the statement's own, and nothing else happens. If it differs
 * (or succeeds), the statement was stale: its connection is destroyed on release and every other connection of the
 * pool at its next checkout, so after a migration only transactions already under way on old connections can fail;
 * such a failure inside a transaction is answered 503 (src/db/errors.ts). A pooler symptom (above) turns naming off
 * and is run again unnamed likewise. A failure that is not PostgreSQL's (pg could not serialise a value) retires its
 * connection: pg then closes the statement but still believes it prepared.
 *
 * A statement refused because the session is read-only (25006) replaces the pool's connections the same way, at most
 * every READ_ONLY_REPLACE_INTERVAL_MS.
 *
 * Whether a transaction is open is pg's transaction status as of the last ReadyForQuery, which, when the error
 * arrives, may still be the one from before the failed statement: for a statement that neither opens nor ends a
 * transaction (no registered one does) the two agree on "idle" or not. pg's pipeline mode, which would break that,
 * is not used.
 */
export function namingPool(pool: pg.Pool, opts: NamingPoolOptions = {}): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, ClientState>();
  let naming = opts.naming ?? true;
  const deadlineMs = opts.deadlineMs ?? 0;
  let generation = 0;
  let lastStaleLog = -Infinity;
  let lastReadOnlyReplace = -Infinity;

  /**
   * A write was refused as read-only on this client: see READ_ONLY_REPLACE_INTERVAL_MS. A client of an older
   * generation is replaced at its next checkout already and spends nothing of the interval. A monotonic clock: after
   * a step back of the wall clock, Date.now() would have held replacements off for as long.
   */
  function readOnlyMet(state: ClientState): void {
    if (state.generation !== generation) return;
    const now = performance.now();
    if (now - lastReadOnlyReplace < READ_ONLY_REPLACE_INTERVAL_MS) return;
    lastReadOnlyReplace = now;
    state.stale = true;
    generation++;
    opts.onReadOnly?.();
  }

  function staleMet(state: ClientState, err: unknown): void {
    state.stale = true;
    // Every other connection of the pool holds the same statements: replace them before they meet it too.
    if (state.generation === generation) generation++;
    const now = performance.now();
    if (now - lastStaleLog >= STALE_LOG_INTERVAL_MS) {
      lastStaleLog = now;
      opts.onStale?.(err);
    }
  }

  function poolerMet(state: ClientState, err: unknown): void {
    state.stale = true;
    if (!naming) return;
    naming = false;
    opts.onNamingOff?.(err instanceof Error ? err.message : String(err));
  }

  function wrap(client: pg.PoolClient): ClientState {
    const state: ClientState = {
      generation,
      stale: false,
      deadlineMs,
      wrapped: { query, release: (destroy?: boolean) => client.release(destroy === true || state.stale) },
    };

    // Ending a client with a statement in flight destroys its socket (pg's Client.end), failing the statement; it is
    // then destroyed on release rather than handed to the next request.
    const abandon = (): void => {
      state.stale = true;
      client.end().catch(() => undefined);
    };

    function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
    function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
    function query<R>(
      sqlOrCursor: string | PostgresCursor<R>,
      parameters?: ReadonlyArray<unknown>,
    ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
      // A cursor (Kysely's streamQuery) is a pg Submittable; it runs as it is.
      if (typeof sqlOrCursor !== 'string') return client.query(sqlOrCursor as unknown as pg.Submittable) as never;
      const values = parameters as unknown[];
      const name = naming && !state.stale ? names.get(sqlOrCursor) : undefined;
      const run = isCopyStatement(sqlOrCursor)
        ? runCopy(client, sqlOrCursor, String(values[0]))
        : name
          ? runNamed(name, sqlOrCursor, values)
          : client.query(sqlOrCursor, values);
      const result = withDeadline(run, state.deadlineMs, abandon);
      void result.catch((err: unknown) => {
        if (sqlState(err) === READ_ONLY_TRANSACTION) readOnlyMet(state);
      });
      if (sqlOrCursor === STATEMENT_TIMEOUT_OFF_SQL) void result.then(() => (state.deadlineMs = 0), noop);
      if (sqlOrCursor === STATEMENT_TIMEOUT_RESTORE_SQL) void result.then(() => (state.deadlineMs = deadlineMs), noop);
      return asKysely<R>(result);
    }

    async function runNamed(name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
      try {
        return await client.query({ name, text, values });
      } catch (err) {
        if (!(err instanceof DatabaseError)) {
          state.stale = true;
          throw err;
        }
        const pooler = POOLER_STATES.has(err.code ?? '');
        if (!pooler && !outdated(err)) throw err;
        const retire = (): void => (pooler ? poolerMet : staleMet)(state, err);
        if (client.getTransactionStatus() !== 'I') {
          retire();
          // The transaction is aborted: it fails whole, answered 503 like any passing database failure.
          throw new Error(STALE_STATEMENT_MESSAGE, { cause: err });
        }
        try {
          const again = await client.query(text, values);
          retire();
          return again;
        } catch (retryErr) {
          // The same error unnamed: the statement's own, not a stale one.
          if (!pooler && retryErr instanceof DatabaseError && retryErr.code === err.code) throw retryErr;
          retire();
          throw retryErr;
        }
      }
    }

    return state;
  }

  return {
    async connect(): Promise<PostgresPoolClient> {
      for (;;) {
        const client = await pool.connect();
        let state = clients.get(client);
        if (!state) {
          state = wrap(client);
          clients.set(client, state);
        }
        if (state.generation === generation) return state.wrapped;
        // Opened before a stale statement was met on this pool: its statements are stale too.
        client.release(true);
      }
    },
    end: () => pool.end(),
  };
}
