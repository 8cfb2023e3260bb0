// The database a CLI command works on: the server's own (DATABASE_URL, else DATA_DIR), migrated, closed after.
import type { Kysely } from 'kysely';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/connect.js';
import { isDatabaseUnavailable } from './db/errors.js';
import { prepareDatabase } from './db/migrator.js';
import type { Database } from './db/types.js';
import { AppError } from './domain/errors.js';

/**
 * Runs `work` on the configured database, migrated first, and closes it. A taken name or an unknown id (CONFLICT,
 * NOT_FOUND) is the user's to fix: it becomes a ConfigError, which the CLI prints as one line.
 */
export async function withCliDatabase(work: (db: Kysely<Database>) => Promise<void>): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    preparedStatements: config.DB_PREPARED_STATEMENTS === 'on',
    joinRunning: true,
  });
  try {
    await prepareDatabase(database.db, config);
    await work(database.db);
  } catch (err) {
    if (isDatabaseUnavailable(err) && !(err instanceof ConfigError)) {
      throw new ConfigError(`the database failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    // What the API would answer with a 4xx is the user's to fix: one line, no stack trace.
    if (
      err instanceof AppError &&
      (err.code === 'CONFLICT' || err.code === 'NOT_FOUND' || err.code === 'INVALID_INPUT')
    )
      throw new ConfigError(err.message);
    throw err;
  } finally {
    await database.close();
  }
}
