// Applies the migrations in migrations/ (on start, and by `warroom migrate`).
import { CompiledQuery, type Kysely, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError, type Config } from '../config.js';
import { LOCK_NOT_AVAILABLE, sqlState } from './errors.js';
import { STATEMENT_TIMEOUT_OFF_SQL, STATEMENT_TIMEOUT_RESTORE_SQL } from './query-deadline.js';

const provider: MigrationProvider = { getMigrations: async () => migrations };

export function createMigrator<T>(db: Kysely<T>): Migrator {
  return new Migrator({ db, provider });
}

/** Instances starting together take turns here (a session advisory lock) before Kysely's own lock. */
export const MIGRATION_TURN_LOCK = 0x7761726d; // 'warm'

/** How migrations wait for table locks; see migrateToLatest. */
export interface MigrationLockWaits {
  /** `lock_timeout` (ms) of each attempt: how long other sessions may queue behind a migration's lock request. */
  lockTimeoutMs: number;
  /** Pauses (ms) between attempts, the last repeated; attempts stop once their pauses would pass `giveUpAfterMs`. */
  retryDelaysMs: readonly number[];
  /** Total time (ms) spent retrying before the migration gives up. */
  giveUpAfterMs: number;
}

/**
 * 2 s, as partition maintenance (./event-partitions.ts), then retries with growing pauses for 3 minutes. The same
 * rule as strong_migrations' lock_timeout with retries and GitLab's with_lock_retries: a short wait, tried often.
 */
export const MIGRATION_LOCK_WAITS: MigrationLockWaits = {
  lockTimeoutMs: 2_000,
  retryDelaysMs: [1_000, 2_000, 4_000, 8_000, 15_000],
  giveUpAfterMs: 180_000,
};

/** Told each time an attempt gave up waiting for a table lock. */
export type OnLockWait = (wait: { attempt: number; retryInMs: number; holders: string[] }) => void;

/**
 * Brings the schema to the latest migration, or throws naming the migration that failed. On one connection with no
 * `statement_timeout`: the pool's (DB_STATEMENT_TIMEOUT_MS) is for requests, while a migration may build an index
 * or scan a large table for minutes, and cancelling it half-way would only make the next start do it again.
 *
 * But with a `lock_timeout` (`waits.lockTimeoutMs`): an `ALTER TABLE` needs its table to itself, and while it waits
 * for a long transaction to end, every other statement on that table (the running instances' requests, in a rolling
 * upgrade) queues behind it: one `idle in transaction` session would take the whole service down. An attempt that
 * times out rolls back whole (the migrations run in one transaction) and is tried again after a pause, calling
 * `onLockWait` with the sessions holding table locks longest; after `waits.giveUpAfterMs` it throws a ConfigError
 * naming them. Instances starting together queue on a session advisory lock first, which holds no table lock, so a
 * long migration by one does not use up the others' attempts.
 */
export async function migrateToLatest<T>(
  db: Kysely<T>,
  opts: { waits?: MigrationLockWaits; onLockWait?: OnLockWait } = {},
): Promise<MigrationResultSet> {
  const waits = opts.waits ?? MIGRATION_LOCK_WAITS;
  const result = await db.connection().execute(async (conn) => {
    const { rows } = await sql<{ statement: string; lock: string }>`
      select current_setting('statement_timeout') as statement, current_setting('lock_timeout') as lock`.execute(conn);
    const previous = rows[0] ?? { statement: '0', lock: '0' };
    await sql.raw(STATEMENT_TIMEOUT_OFF_SQL).execute(conn);
    await sql`set lock_timeout = 0`.execute(conn);
    await sql`select pg_advisory_lock(${MIGRATION_TURN_LOCK})`.execute(conn);
    try {
      await sql.raw(`set lock_timeout = ${Math.round(waits.lockTimeoutMs)}`).execute(conn);
      const started = performance.now();
      for (let attempt = 1; ; attempt++) {
        const outcome = await createMigrator(conn).migrateToLatest();
        if (sqlState(outcome.error) !== LOCK_NOT_AVAILABLE) return outcome;
        const holders = await lockHolders(conn);
        const retryInMs = waits.retryDelaysMs[Math.min(attempt, waits.retryDelaysMs.length) - 1] ?? 1_000;
        if (performance.now() - started + retryInMs > waits.giveUpAfterMs) {
          throw new ConfigError(
            `migrations could not take their table locks within ${Math.round(waits.giveUpAfterMs / 1000)} s ` +
              `(${attempt} attempts of ${waits.lockTimeoutMs} ms): other sessions hold them` +
              (holders.length ? `, longest first: ${holders.join('; ')}` : '') +
              '. End those transactions or wait for them, then start again',
            { cause: outcome.error },
          );
        }
        opts.onLockWait?.({ attempt, retryInMs, holders });
        await delay(retryInMs);
      }
    } finally {
      // Back to what the session had, before the pool hands the connection to a request.
      await sql`select pg_advisory_unlock(${MIGRATION_TURN_LOCK})`.execute(conn).catch(() => undefined);
      await conn
        .executeQuery(CompiledQuery.raw(STATEMENT_TIMEOUT_RESTORE_SQL, [previous.statement]))
        .catch(() => undefined);
      await sql`select set_config('lock_timeout', ${previous.lock}, false)`.execute(conn).catch(() => undefined);
    }
  });
  throwOnFailure(result);
  return result;
}

/**
 * The other sessions of this database holding a table lock in a transaction open for over a second, longest first
 * (at most 3), as "pid 123 (psql, idle in transaction, 75 s): select …": whom an operator would end.
 */
async function lockHolders<T>(conn: Kysely<T>): Promise<string[]> {
  const { rows } = await sql<{ pid: number; app: string; state: string | null; secs: number; query: string }>`
    select a.pid, a.application_name as app, a.state,
           extract(epoch from now() - a.xact_start)::int as secs, left(a.query, 80) as query
    from pg_stat_activity a
    where a.pid <> pg_backend_pid() and a.datname = current_database()
      and a.xact_start < now() - interval '1 second'
      and exists (select 1 from pg_locks l where l.pid = a.pid and l.locktype = 'relation' and l.granted)
    order by a.xact_start
    limit 3`
    .execute(conn)
    .catch(() => ({ rows: [] }));
  return rows.map(
    (r) =>
      `pid ${r.pid} (${[r.app || 'no application_name', r.state ?? 'state hidden', `${r.secs} s`].join(', ')}): ${r.query.replace(/\s+/g, ' ')}`,
  );
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
  onLockWait: OnLockWait = logLockWait,
): Promise<MigrationResultSet> {
  const where = config.DATABASE_URL ? 'DATABASE_URL' : `DATA_DIR ${config.DATA_DIR}`;
  return migrateToLatest(db, { onLockWait }).catch((err: unknown) => {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      `cannot prepare the database (${where}): ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  });
}

/** The CLI's report of a migration waiting for table locks: one line on stderr (`serve` logs it instead). */
export const logLockWait: OnLockWait = ({ attempt, retryInMs, holders }) =>
  console.error(describeLockWait({ attempt, retryInMs, holders }));

/** One line saying a migration gave way to other sessions' table locks, and whose. */
export function describeLockWait({ attempt, retryInMs, holders }: Parameters<OnLockWait>[0]): string {
  return (
    `migration attempt ${attempt} gave way to other sessions' table locks; trying again in ${retryInMs / 1000} s` +
    (holders.length ? ` (held longest by ${holders.join('; ')})` : '')
  );
}
