// Opens the database: a `pg` pool when DATABASE_URL is set, otherwise embedded PGlite (on disk, or in memory).
import { mkdirSync } from 'node:fs';
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
}

// int8 (bigserial `seq`, count(*)) arrives as a string from `pg`; we never do arithmetic on seq, and counts are
// converted where they are read, so the default parser stays.

/** A Kysely over a `pg` pool; also used by the analysis worker thread for its own connection. */
export function connectPostgres(url: string, poolSize: number, applicationName?: string): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    ...(applicationName ? { application_name: applicationName } : {}),
  });
  // An idle client that loses its server emits 'error'; without a listener that would crash the process.
  pool.on('error', () => undefined);
  // So does a checked-out one (pg-pool listens only while a client is idle), even when its query gets the error
  // too: the query rejects, and the pool discards the client on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return db;
}

export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  if (opts.databaseUrl) {
    const db = connectPostgres(opts.databaseUrl, opts.poolSize ?? 10);
    return { db, kind: 'postgres', url: opts.databaseUrl, close: () => db.destroy() };
  }
  // Loaded only when used: PGlite's module alone adds ~50 MiB of RSS to a process (and to the analysis worker,
  // which shares this file) that talks to PostgreSQL.
  const [{ PGlite }, { PGliteDialect }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('kysely-pglite-dialect'),
  ]);
  let pglite: InstanceType<typeof PGlite>;
  if (opts.dataDir === 'memory') {
    pglite = new PGlite();
  } else {
    mkdirSync(opts.dataDir, { recursive: true });
    pglite = new PGlite(opts.dataDir);
  }
  await pglite.waitReady;
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: 'pglite', url: undefined, close: () => db.destroy() };
}
