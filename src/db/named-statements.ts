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
/** After this many pooler symptoms a pool stops naming statements for the rest of the process, and says so once. */
export const POOLER_SYMPTOMS_BEFORE_OFF = 3;

/**
 * Whether a named statement this session prepared and ran before no longer fits the schema: PostgreSQL re-checks a
 * prepared statement after a schema change with the parameter types it inferred at parse time, so a newer instance's
 * migration that adds a column to a table it reads with `select *` fails it with 0A000 ("cached plan must not change
 * result type"), and one that changes a column's type with a class 42 error (42804 datatype mismatch, ...). The same
 * text parsed afresh works. Class 42 counts only for a statement the session ran before: on a first run it is a
 * mistake in the statement itself.
 */
function outdated(state: string | undefined, ranBefore: boolean): boolean {
  return state === '0A000' || (ranBefore && state !== undefined && state.startsWith('42'));
}

export interface NamingPoolOptions {
  /** The pool stopped naming statements after repeated pooler symptoms (above); called once. */
  onNamingOff?: (detail: string) => void;
}

/** What the wrapper keeps per pooled pg client (a WeakMap, so the wrapper is made once per client). */
interface ClientState {
  wrapped: PostgresPoolClient;
  /** Names this session has run successfully. */
  ran: Set<string>;
  inTransaction: boolean;
  /** Its named statements no longer fit: destroyed on release instead of going back to the pool. */
  stale: boolean;
}

/** pg's result is what Kysely reads (`command`, `rowCount`, `rows`); pg types `command` as any string tag. */
const asKysely = <R>(result: Promise<pg.QueryResult>): Promise<PostgresQueryResult<R>> =>
  result as unknown as Promise<PostgresQueryResult<R>>;

/**
 * The pool Kysely gets: each checked-out client runs registered statements by name, everything else as given.
 *
 * A named statement that fails because the session's statements went stale (a migration, a pooler; above) is run
 * again unnamed on the same connection when no transaction is open, which is safe because PostgreSQL refuses such a
 * statement before executing it: the caller sees the result, never the error. Inside a transaction the error stands
 * (the transaction is already aborted), as an error answered 503 (src/db/errors.ts). Either way the client is destroyed
 * on release, so its pool's next connection prepares afresh. A client-side failure of a named query (a value pg
 * could not serialise) also retires the client: pg then closes the statement but still believes it prepared.
 */
export function namingPool(pool: pg.Pool, opts: NamingPoolOptions = {}): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, ClientState>();
  let naming = true;
  let poolerSymptoms = 0;

  function poolerSymptom(err: unknown): void {
    if (!naming || ++poolerSymptoms < POOLER_SYMPTOMS_BEFORE_OFF) return;
    naming = false;
    opts.onNamingOff?.(err instanceof Error ? err.message : String(err));
  }

  function wrap(client: pg.PoolClient): ClientState {
    const state: ClientState = {
      ran: new Set(),
      inTransaction: false,
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
      const text = sqlOrCursor;
      const values = parameters as unknown[];
      trackTransaction(text);
      const name = naming && !state.stale ? names.get(text) : undefined;
      if (!name) return asKysely<R>(client.query(text, values));
      return asKysely<R>(runNamed(name, text, values));
    }

    async function runNamed(name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
      try {
        const result = await client.query({ name, text, values });
        state.ran.add(name);
        return result;
      } catch (err) {
        const code = sqlState(err);
        const pooler = POOLER_STATES.has(code ?? '');
        // No SQLSTATE and no socket error code: pg failed before sending (see above).
        const clientSide = code === undefined;
        if (!pooler && !clientSide && !outdated(code, state.ran.has(name))) throw err;
        state.stale = true;
        if (pooler) poolerSymptom(err);
        if (clientSide) throw err;
        // The transaction is aborted: it fails whole, answered 503 like any passing database failure.
        if (state.inTransaction) throw new Error(STALE_STATEMENT_MESSAGE, { cause: err });
        return client.query(text, values);
      }
    }

    /** Kysely opens and ends transactions with these texts (its PostgresDriver); savepoints leave the state as is. */
    function trackTransaction(text: string): void {
      if (text === 'begin' || text.startsWith('start transaction')) state.inTransaction = true;
      else if (text === 'commit' || text === 'rollback') state.inTransaction = false;
    }

    return state;
  }

  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let state = clients.get(client);
      if (!state) {
        state = wrap(client);
        clients.set(client, state);
      }
      // A client back from the pool is outside any transaction (Kysely ends each before releasing).
      state.inTransaction = false;
      return state.wrapped;
    },
    end: () => pool.end(),
  };
}
