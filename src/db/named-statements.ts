// Server-side prepared statements for the hot queries. PostgreSQL parses, analyses and plans an unnamed statement
// every time it runs; a named one it parses once per connection and, after five runs, may keep one generic plan.
// Measured straight through `pg` (32 connections, docs/performance.md, 2026-11-30 "Named statements"): the incident
// insert cost PostgreSQL 620 µs of CPU unnamed and 400 named, a read by primary key 220 and 100. asyncpg (the
// Python peer's driver) does this for every query; `pg` does it for a query given a `name`
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
import { sqlState } from './errors.js';

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
 * SQLSTATEs that say a connection's prepared statements no longer fit the server, so the connection is dropped and
 * the next one prepares afresh: 0A000 "cached plan must not change result type" (a migration by a newer instance
 * changed a table a `select *` reads; PostgreSQL re-plans other schema changes by itself) and 26000 "prepared
 * statement does not exist" (a pooler in transaction mode moved the session, or someone ran DISCARD ALL).
 */
const STALE_STATEMENT_STATES = new Set(['0A000', '26000']);

/** pg's result is what Kysely reads (`command`, `rowCount`, `rows`); pg types `command` as any string tag. */
const asKysely = <R>(result: Promise<pg.QueryResult>): Promise<PostgresQueryResult<R>> =>
  result as unknown as Promise<PostgresQueryResult<R>>;

/**
 * The pool Kysely gets: each checked-out client runs registered statements by name, everything else as given. A
 * client whose named statement failed as stale (above) is destroyed on release instead of returned to the pool; the
 * request that met it fails once (mapped like any database failure), the ones after it get a fresh connection.
 */
export function namingPool(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let stale = false;
      function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
      function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
      function query<R>(
        sqlOrCursor: string | PostgresCursor<R>,
        parameters?: ReadonlyArray<unknown>,
      ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
        // A cursor (Kysely's streamQuery) is a pg Submittable; it runs as it is.
        if (typeof sqlOrCursor !== 'string') return client.query(sqlOrCursor as unknown as pg.Submittable) as never;
        const name = names.get(sqlOrCursor);
        const values = parameters as unknown[];
        if (!name) return asKysely<R>(client.query(sqlOrCursor, values));
        return asKysely<R>(
          client.query({ name, text: sqlOrCursor, values }).catch((err: unknown) => {
            if (STALE_STATEMENT_STATES.has(sqlState(err) ?? '')) stale = true;
            throw err;
          }),
        );
      }
      return { query, release: (destroy?: boolean) => client.release(destroy === true || stale) };
    },
    end: () => pool.end(),
  };
}
