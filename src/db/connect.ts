// Opens the database: a `pg` pool when DATABASE_URL is set, otherwise embedded PGlite (on disk, or in memory).
import { mkdirSync } from 'node:fs';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from 'kysely-pglite-dialect';
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

export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    // An idle client that loses its server emits 'error'; without a listener that would crash the process.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', url: opts.databaseUrl, close: () => db.destroy() };
  }
  let pglite: PGlite;
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
