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
import type pg from 'pg';
import { STALE_STATEMENT_MESSAGE, sqlState } from './errors.js';

const names = new Map<string, string>();

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
 * 26000 "prepared statement does not exist", 42P05 "prepared statement already exists". Both are what a pooler
 * that moves sessions between clients (PgBouncer in transaction mode before 1.21, or with max_prepared_statements =
 * 0) does to named statements.
 */
const POOLER_STATES = new Set(['26000', '42P05']);
/**
 * This many pooler symptoms within POOLER_WINDOW_MS turn naming off for the rest of the process (said once): such a
 * pooler would otherwise cost a retry and a reconnection every few requests.
 */
export const POOLER_SYMPTOMS_BEFORE_OFF = 3;
const POOLER_WINDOW_MS = 10 * 60_000;

/**
 * How a named statement fails once the schema changed under it: PostgreSQL re-checks a prepared statement after a
 * schema change with the parameter types it inferred at parse time, so a newer instance's migration that changes the
 * columns a `select *` returns fails it with 0A000 ("cached plan must not change result type"), and one that changes
 * a column's type with a class 42 error (42804 datatype mismatch, ...). Not 42501 (insufficient privilege), which is
 * a permission, not a stale statement. A genuine class 42 error of a statement is met again by the unnamed retry and
 * reaches the caller then.
 */
const outdated = (state: string | undefined): boolean =>
  state === '0A000' || (state !== undefined && state.startsWith('42') && state !== '42501');

/** Node's socket error codes carry no SQLSTATE meaning; a failure without any code came from pg itself. */
const clientSideFailure = (state: string | undefined): boolean => state === undefined;

export interface NamingPoolOptions {
  /** The pool stopped naming statements after repeated pooler symptoms (above); called once. */
  onNamingOff?: (detail: string) => void;
  /** A stale named statement was met: every connection of the pool is replaced (for a log line or a metric). */
  onStale?: (err: unknown) => void;
}

/** What the wrapper keeps per pooled pg client (a WeakMap, so the wrapper is made once per client). */
interface ClientState {
  wrapped: PostgresPoolClient;
  /** The pool's staleness generation when this client was opened: an older one is replaced at its next checkout. */
  generation: number;
  /** Its named statements no longer fit: destroyed on release instead of going back to the pool. */
  stale: boolean;
}

/** pg's result is what Kysely reads (`command`, `rowCount`, `rows`); pg types `command` as any string tag. */
const asKysely = <R>(result: Promise<pg.QueryResult>): Promise<PostgresQueryResult<R>> =>
  result as unknown as Promise<PostgresQueryResult<R>>;

/**
 * The pool Kysely gets: each checked-out client runs registered statements by name, everything else as given.
 *
 * A named statement that fails as stale (a migration, a pooler; above) outside a transaction runs again unnamed on
 * the same connection: a failed statement outside a transaction left nothing behind (its implicit transaction rolled
 * back), so the caller gets the unnamed run's result or error. Inside a transaction (pg's transaction status after
 * the error) it fails as an error answered 503 (src/db/errors.ts), since the transaction is aborted. Then every
 * connection the pool holds is replaced: the one that met it on release, the others at their next checkout, so after
 * a migration only the transactions already under way on old connections can fail. A client-side failure of a named
 * query (a value pg could not serialise, a dropped socket) retires its connection too: pg then closes the statement
 * but still believes it prepared.
 */
export function namingPool(pool: pg.Pool, opts: NamingPoolOptions = {}): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, ClientState>();
  let naming = true;
  let generation = 0;
  const symptoms: number[] = [];

  function poolerSymptom(err: unknown): void {
    const now = Date.now();
    symptoms.push(now);
    while (symptoms.length > 0 && (symptoms[0] ?? now) < now - POOLER_WINDOW_MS) symptoms.shift();
    if (!naming || symptoms.length < POOLER_SYMPTOMS_BEFORE_OFF) return;
    naming = false;
    opts.onNamingOff?.(err instanceof Error ? err.message : String(err));
  }

  function wrap(client: pg.PoolClient): ClientState {
    const state: ClientState = {
      generation,
      stale: false,
      wrapped: { query, release: (destroy?: boolean) => client.release(destroy === true || state.stale) },
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
      if (!name) return asKysely<R>(client.query(sqlOrCursor, values));
      return asKysely<R>(runNamed(name, sqlOrCursor, values));
    }

    async function runNamed(name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
      try {
        return await client.query({ name, text, values });
      } catch (err) {
        const code = sqlState(err);
        const pooler = POOLER_STATES.has(code ?? '');
        if (clientSideFailure(code)) {
          state.stale = true;
          throw err;
        }
        if (!pooler && !outdated(code)) throw err;
        state.stale = true;
        // Every other connection of the pool holds the same statements: replace them before they meet it too.
        if (state.generation === generation) generation++;
        opts.onStale?.(err);
        if (pooler) poolerSymptom(err);
        // 'I': idle, outside a transaction (pg's ReadyForQuery status after the error).
        if (client.getTransactionStatus() !== 'I') throw new Error(STALE_STATEMENT_MESSAGE, { cause: err });
        return client.query(text, values);
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
