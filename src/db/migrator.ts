// Applies the migrations in migrations/ (on start, and by `warroom migrate`).
import { CompiledQuery, type Kysely, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { ConfigError, type Config } from '../config.js';
import { STATEMENT_TIMEOUT_OFF_SQL, STATEMENT_TIMEOUT_RESTORE_SQL } from './query-deadline.js';

const provider: MigrationProvider = { getMigrations: async () => migrations };

export function createMigrator<T>(db: Kysely<T>): Migrator {
  return new Migrator({ db, provider });
}

/**
 * Brings the schema to the latest migration, or throws naming the migration that failed. On one connection with no
 * `statement_timeout`: the pool's (DB_STATEMENT_TIMEOUT_MS) is for requests, while a migration may build an index
 * or scan a large table for minutes, and cancelling it half-way would only make the next start do it again.
 */
export async function migrateToLatest<T>(db: Kysely<T>): Promise<MigrationResultSet> {
  const result = await db.connection().execute(async (conn) => {
    const { rows } = await sql<{ timeout: string }>`select current_setting('statement_timeout') as timeout`.execute(
      conn,
    );
    const previous = rows[0]?.timeout ?? '0';
    await sql.raw(STATEMENT_TIMEOUT_OFF_SQL).execute(conn);
    try {
      return await createMigrator(conn).migrateToLatest();
    } finally {
      // Back to what the session had, before the pool hands the connection to a request.
      await conn.executeQuery(CompiledQuery.raw(STATEMENT_TIMEOUT_RESTORE_SQL, [previous])).catch(() => undefined);
    }
  });
  throwOnFailure(result);
  return result;
}

/** Kysely's refusal of a database that has run a migration this release does not have. */
const UNKNOWN_MIGRATION = /^corrupted migrations: previously executed migration (\S+) is missing$/;

/**
 * Throws naming what failed. A database a newer release has migrated is the operator's to sort out (start the
 * newer release), so that is a ConfigError: one line, no stack trace.
 */
export function throwOnFailure(result: MigrationResultSet): void {
  if (!result.error) return;
  const failed = result.results?.find((r) => r.status === 'Error');
  const cause = result.error instanceof Error ? result.error.message : String(result.error);
  const newer = UNKNOWN_MIGRATION.exec(cause);
  if (newer) {
    throw new ConfigError(
      `this database was migrated by a newer release of Warroom (it has run migration ${newer[1]}, which this ` +
        'release does not have): run that release or a later one',
    );
  }
  throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${cause}`, { cause: result.error });
}

/**
 * Migrates like migrateToLatest, and turns any failure into one line for the operator (a ConfigError, no stack
 * trace) naming where the database comes from (`DATABASE_URL`, or `DATA_DIR <path>`): a database that is down,
 * missing, or refuses the credentials is theirs to fix, on `warroom serve` and on every CLI command alike (the CLI
 * printed a stack trace for a stopped PostgreSQL: an outage drill, 2026-12-02).
 */
export async function prepareDatabase<T>(
  db: Kysely<T>,
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR'>,
): Promise<MigrationResultSet> {
  const where = config.DATABASE_URL ? 'DATABASE_URL' : `DATA_DIR ${config.DATA_DIR}`;
  return migrateToLatest(db).catch((err: unknown) => {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      `cannot prepare the database (${where}): ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  });
}
