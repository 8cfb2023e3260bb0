// A Kysely over a `pg` pool: the server's pool (./connect.ts) and the analysis worker thread's own connection. A module
// of its own so that the worker's bundle does not take in what opening the database needs besides (the embedded
// PostgreSQL, the configuration and its Zod schemas).
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './types.js';

// int8 (bigserial `seq`, count(*)) arrives as a string from `pg`; we never do arithmetic on seq, and counts are
// converted where they are read, so the default parser stays.

/** How long a request waits for a pooled connection before it is answered 503 (the database is away or saturated). */
export const CONNECT_TIMEOUT_MS = 5_000;

export interface PostgresOptions {
  poolSize: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** A connection failed outside any query (the server went away); the pool replaces it by itself. */
  onConnectionError?: (err: Error) => void;
}

/** A Kysely over a `pg` pool; also used by the analysis worker thread for its own connection. */
export function connectPostgres(url: string, opts: PostgresOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    ...(opts.applicationName ? { application_name: opts.applicationName } : {}),
  });
  const onError = (err: Error): void => opts.onConnectionError?.(err);
  // A client that loses its server emits 'error': an idle one on the pool, one checked out on the client itself
  // (e.g. FATAL 57P01 when PostgreSQL shuts down mid-query). Without a listener either would end the process; the
  // query in flight fails on its own and is answered 503 (src/http/errors.ts), and the pool opens new connections.
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
