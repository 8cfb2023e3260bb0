// Opens the database: a `pg` pool on DATABASE_URL, or on the embedded PostgreSQL that DATA_DIR holds (started here).
import { accessSync, constants } from 'node:fs';
import { makeDirectory } from '../make-directory.js';
import { ConfigError } from '../config.js';
import { DataDirInUseError, lockDataDir } from './data-dir-lock.js';
import { embeddedSocketUrl, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { CLOSE_WAIT_MS, CONNECT_TIMEOUT_MS, connectPostgres, settledWithin } from './postgres.js';
import type { Database } from './types.js';

export { CONNECT_TIMEOUT_MS, connectPostgres, type PostgresOptions } from './postgres.js';

/** 'embedded': the private server this process started for DATA_DIR. */
export type DatabaseKind = 'postgres' | 'embedded';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** The connection string, for components that need a dedicated connection (LISTEN, the analysis worker). */
  url: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** Directory of the embedded database, or 'memory' (a throw-away one). Ignored when databaseUrl is set. */
  dataDir: string;
  poolSize?: number;
  /** `statement_timeout` of the pool's sessions (ms; 0: none); see PostgresOptions. */
  statementTimeoutMs?: number;
  /** Named statements for the hot queries (default true); see PostgresOptions. */
  preparedStatements?: boolean;
  onPreparedStatementsOff?: (detail: string) => void;
  onPreparedStatementsStale?: (err: unknown) => void;
  onConnectionError?: (err: Error) => void;
  /** A write was refused as read-only and the pool is being replaced; see PostgresOptions. */
  onReadOnly?: () => void;
  /** The embedded server stopped without being asked (crashed or killed). */
  onServerExit?: (code: number | null) => void;
  /** When a running warroom owns DATA_DIR, use its embedded server through the socket instead of refusing. */
  joinRunning?: boolean;
}

function joinPostgres(url: string, kind: DatabaseKind, opts: DatabaseOptions): DatabaseHandle {
  const db = connectPostgres(url, {
    poolSize: opts.poolSize ?? 10,
    ...(opts.statementTimeoutMs !== undefined ? { statementTimeoutMs: opts.statementTimeoutMs } : {}),
    ...(opts.preparedStatements !== undefined ? { preparedStatements: opts.preparedStatements } : {}),
    ...(opts.onPreparedStatementsOff ? { onPreparedStatementsOff: opts.onPreparedStatementsOff } : {}),
    ...(opts.onPreparedStatementsStale ? { onPreparedStatementsStale: opts.onPreparedStatementsStale } : {}),
    ...(opts.onConnectionError ? { onConnectionError: opts.onConnectionError } : {}),
    ...(opts.onReadOnly ? { onReadOnly: opts.onReadOnly } : {}),
  });
  return { db, kind, url, close: () => settledWithin(db.destroy(), CLOSE_WAIT_MS) };
}

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Opens the database: DATABASE_URL's server, or the embedded one for DATA_DIR, started here (and stopped by
 * `close()`), or, when a running warroom already owns DATA_DIR, that one through its socket. Throws ConfigError with
 * a one-line reason.
 */
export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  if (opts.databaseUrl) return joinPostgres(opts.databaseUrl, 'postgres', opts);
  // No DATABASE_URL: the embedded PostgreSQL for DATA_DIR (embedded-postgres.ts), then the same pool as above.
  let unlock = (): void => undefined;
  let embedded: EmbeddedPostgres;
  try {
    if (opts.dataDir !== 'memory') {
      makeDirectory(opts.dataDir);
      accessSync(opts.dataDir, constants.R_OK | constants.W_OK);
      try {
        unlock = lockDataDir(opts.dataDir);
      } catch (err) {
        // A running warroom owns this DATA_DIR's server. A command (`warroom keys create` while the server runs)
        // uses it through its socket; a second server does not, as its database would stop with the first.
        if (!(err instanceof DataDirInUseError) || !opts.joinRunning) throw err;
        const url = embeddedSocketUrl(opts.dataDir);
        if (!url || !(await accepts(url))) throw err;
        return joinPostgres(url, 'embedded', opts);
      }
    }
    embedded = await startEmbeddedPostgres({
      dataDir: opts.dataDir,
      ...(opts.onServerExit ? { onUnexpectedExit: opts.onServerExit } : {}),
    });
  } catch (err) {
    unlock();
    if (err instanceof ConfigError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`cannot open the embedded database in ${opts.dataDir} (DATA_DIR): ${reason}`, { cause: err });
  }
  const handle = joinPostgres(embedded.url, 'embedded', opts);
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await embedded.stop();
      unlock();
    },
  };
}
