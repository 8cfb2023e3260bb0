// Opens the database: a `pg` pool when DATABASE_URL is set, otherwise embedded PGlite (on disk, or in memory).
import { accessSync, constants, mkdirSync } from 'node:fs';
import { ConfigError } from '../config.js';
import { lockDataDir } from './data-dir-lock.js';
import { holdsDatabase, loadSeed } from './pglite-seed.js';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './types.js';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /** The connection string, for components that need a dedicated connection (LISTEN). Undefined on PGlite. */
  url: string | undefined;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** Directory for PGlite's files, or 'memory'. Ignored when databaseUrl is set. */
  dataDir: string;
  poolSize?: number;
  onConnectionError?: (err: Error) => void;
}

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

export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  if (opts.databaseUrl) {
    const db = connectPostgres(opts.databaseUrl, {
      poolSize: opts.poolSize ?? 10,
      ...(opts.onConnectionError ? { onConnectionError: opts.onConnectionError } : {}),
    });
    return { db, kind: 'postgres', url: opts.databaseUrl, close: () => db.destroy() };
  }
  // Loaded only when used: PGlite's module alone adds ~50 MiB of RSS to a process (and to the analysis worker,
  // which shares this file) that talks to PostgreSQL.
  const [{ PGlite }, { PGliteDialect }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('kysely-pglite-dialect'),
  ]);
  let pglite: InstanceType<typeof PGlite>;
  let unlock = (): void => undefined;
  try {
    if (opts.dataDir === 'memory') {
      const seed = loadSeed();
      pglite = new PGlite(seed ? { loadDataDir: seed } : {});
    } else {
      mkdirSync(opts.dataDir, { recursive: true });
      accessSync(opts.dataDir, constants.R_OK | constants.W_OK);
      unlock = lockDataDir(opts.dataDir);
      // A new data directory starts from the pre-initialised tarball when there is one (pglite-seed.ts): seconds
      // instead of initdb's 10-20. An existing one is opened as it is.
      const seed = holdsDatabase(opts.dataDir) ? undefined : loadSeed();
      pglite = new PGlite(opts.dataDir, seed ? { loadDataDir: seed } : {});
    }
    await pglite.waitReady;
  } catch (err) {
    unlock();
    if (err instanceof ConfigError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`cannot open the embedded database in ${opts.dataDir} (DATA_DIR): ${reason}`, { cause: err });
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    url: undefined,
    close: async () => {
      await db.destroy();
      unlock();
    },
  };
}
