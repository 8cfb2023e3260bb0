// A Kysely over a `pg` pool: the server's pool (./connect.ts) and the analysis worker thread's own connection. A module
// of its own so that the worker's bundle does not take in what opening the database needs besides (the embedded
// PostgreSQL, the configuration and its Zod schemas).
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { namingPool } from './named-statements.js';
import { queryDeadlineMs } from './query-deadline.js';
import type { Database } from './types.js';

// int8 (bigserial `seq`, count(*)) arrives as a string from `pg`; we never do arithmetic on seq, and counts are
// converted where they are read, so the default parser stays.

/** How long a request waits for a pooled connection before it is answered 503 (the database is away or saturated). */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Default for DB_STATEMENT_TIMEOUT_MS: no request-path statement here needs more than a fraction of a second. */
export const STATEMENT_TIMEOUT_MS = 15_000;
/**
 * A session that sits inside a transaction doing nothing for this long is ended by PostgreSQL. Our transactions run
 * back to back; one left open means its instance froze or hung mid-transaction (a paused VM, a stuck event loop), and
 * the row locks it holds would otherwise stall every other instance's writes to those incidents until it came back.
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;
/**
 * How often PostgreSQL checks, while a statement runs or waits for a lock, that the client is still connected
 * (`client_connection_check_interval`, PostgreSQL 14+, on Linux, macOS and the BSDs). Without it a killed instance's
 * statement waiting on a lock kept its transaction, and the row locks and Idempotency-Key claim it holds, until the
 * statement ended (DB_STATEMENT_TIMEOUT_MS, or never with 0): the server notices a lost client only when it next talks
 * to it. Set where the server has it; elsewhere the statement's own timeout still applies.
 */
export const CLIENT_CHECK_INTERVAL_MS = 1000;
/** TCP keep-alive on every connection, first probe after this long idle: a server that vanished is noticed. */
export const KEEPALIVE_DELAY_MS = 10_000;

export interface PostgresOptions {
  poolSize: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /**
   * PostgreSQL's `statement_timeout` for every session of the pool (ms; 0: none). A statement stuck behind a lock or
   * on an overloaded server is cancelled (SQLSTATE 57014) and its request answered 503 with Retry-After, instead of
   * holding the request and a pooled connection for as long as the stall lasts. Default STATEMENT_TIMEOUT_MS.
   */
  statementTimeoutMs?: number;
  /**
   * Run the hot statements as server-side prepared statements (src/db/named-statements.ts); default true. Off for a
   * pooler that cannot keep them: PgBouncer in transaction mode before 1.21, or with `max_prepared_statements = 0`.
   */
  preparedStatements?: boolean;
  /** Named statements were turned off for this process: a pooler lost them (src/db/named-statements.ts). */
  onPreparedStatementsOff?: (detail: string) => void;
  /** A stale named statement was met (a migration, a pooler); the pool's connections are being replaced. */
  onPreparedStatementsStale?: (err: unknown) => void;
  /** A connection failed outside any query (the server went away); the pool replaces it by itself. */
  onConnectionError?: (err: Error) => void;
  /** A write was refused as read-only; the pool's connections are being replaced (src/db/named-statements.ts). */
  onReadOnly?: () => void;
}

/**
 * The SET statements for a new session. `statementMs` 0 sets no statement_timeout, so the server's or role's own
 * setting (none by default) holds.
 */
function sessionTimeouts(statementMs: number): string {
  const idle = `set idle_in_transaction_session_timeout = ${IDLE_IN_TRANSACTION_TIMEOUT_MS}`;
  // A DO block, so a server without the setting (before 14, or a platform without the check) is left as it is.
  const clientCheck = `do $$ begin perform set_config('client_connection_check_interval', '${CLIENT_CHECK_INTERVAL_MS}', false);
    exception when others then null; end $$`;
  return [...(statementMs > 0 ? [`set statement_timeout = ${statementMs}`] : []), idle, clientCheck].join('; ');
}

/** A Kysely over a `pg` pool; also used by the analysis worker thread for its own connection. */
export function connectPostgres(url: string, opts: PostgresOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    ...(opts.applicationName ? { application_name: opts.applicationName } : {}),
  });
  const onError = (err: Error): void => opts.onConnectionError?.(err);
  // A client that loses its server emits 'error': an idle one on the pool, one checked out on the client itself
  // (e.g. FATAL 57P01 when PostgreSQL shuts down mid-query). Without a listener either would end the process; the
  // query in flight fails on its own and is answered 503 (src/http/errors.ts), and the pool opens new connections.
  pool.on('error', onError);
  const timeouts = sessionTimeouts(opts.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS);
  pool.on('connect', (client) => {
    client.on('error', onError);
    // Queued on the new connection before the query it was opened for, once per connection (they live long).
    // SET rather than startup parameters, which poolers such as PgBouncer refuse unless told to ignore them.
    client.query(timeouts).catch((err: unknown) => onError(err instanceof Error ? err : new Error(String(err))));
  });
  return new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: namingPool(pool, {
        naming: opts.preparedStatements !== false,
        deadlineMs: queryDeadlineMs(opts.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS),
        ...(opts.onPreparedStatementsOff ? { onNamingOff: opts.onPreparedStatementsOff } : {}),
        ...(opts.onPreparedStatementsStale ? { onStale: opts.onPreparedStatementsStale } : {}),
        ...(opts.onReadOnly ? { onReadOnly: opts.onReadOnly } : {}),
      }),
    }),
  });
}

/**
 * How long closing the pool waits. Ending a connection waits for the server to close its side, which a frozen or
 * unreachable server never does, and shutdown waited with it (operations review, 2026-12-02); the process is
 * about to exit, and the server ends the sessions of a client that went away.
 */
export const CLOSE_WAIT_MS = 5_000;

/** `p`, or undefined after `ms`, whichever comes first; never rejects. */
export async function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}
