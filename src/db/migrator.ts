// Applies the migrations in migrations/ (on start, and by `warroom migrate`).
import {
  type Kysely,
  type MigrationProvider,
  type MigrationResult,
  type MigrationResultSet,
  Migrator,
  type RawBuilder,
  sql,
} from 'kysely';
import { migrations } from '../../migrations/index.js';
import { setTimeout as delay } from 'node:timers/promises';
import { ConfigError, type Config } from '../config.js';
import { LOCK_NOT_AVAILABLE, sqlState } from './errors.js';
import { withLongStatements } from './long-statements.js';
import { describeDatabaseWait, errorText, waitForDatabase, type OnDatabaseWait } from './wait-for-database.js';

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
 * upgrade) queues behind it: one `idle in transaction` session would take the whole service down. Each migration
 * runs in its own transaction (Kysely's migrateUp), so one that times out rolls back alone, without making the ones
 * before it lock their tables again, and is tried again after a pause, calling `onLockWait` with the sessions in its
 * way (see lockHolders); after `waits.giveUpAfterMs` of attempts it throws a ConfigError naming them, the migrations
 * before it applied. Instances starting together queue for their turn first (a session advisory lock, which holds
 * no table lock, waited for up to an hour as Kysely waits for its own, calling `onTurnWait` once), so one instance's
 * long migration does not use up another's attempts.
 */
export async function migrateToLatest<T>(
  db: Kysely<T>,
  opts: { waits?: MigrationLockWaits; onLockWait?: OnLockWait; onTurnWait?: () => void } = {},
): Promise<MigrationResultSet> {
  const waits = opts.waits ?? MIGRATION_LOCK_WAITS;
  const result = await db.connection().execute((conn) =>
    withLongStatements(conn, async () => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn);
      const pid = rows[0]?.pid ?? 0;
      let turn = false;
      try {
        turn = await takeTurn(conn, opts.onTurnWait);
        await sql.raw(`set lock_timeout = ${Math.round(waits.lockTimeoutMs)}`).execute(conn);
        const migrator = createMigrator(conn);
        const applied: MigrationResult[] = [];
        let attempts = 0;
        let started = performance.now();
        for (;;) {
          attempts++;
          const watching = watchBlockers(db, pid, waits.lockTimeoutMs);
          const step = await migrator.migrateUp();
          const blockers = await watching.stop();
          if (sqlState(step.error) !== LOCK_NOT_AVAILABLE) {
            applied.push(...(step.results ?? []));
            if (step.error || !step.results?.length) return { ...step, results: applied };
            attempts = 0;
            started = performance.now();
            continue;
          }
          const holders = blockers.length > 0 ? blockers : await lockHolders(conn);
          const retryInMs = waits.retryDelaysMs[Math.min(attempts, waits.retryDelaysMs.length) - 1] ?? 1_000;
          if (performance.now() - started + retryInMs > waits.giveUpAfterMs) {
            const failed = step.results?.find((r) => r.status === 'Error')?.migrationName ?? '(unknown)';
            throw new ConfigError(
              `migration ${failed} could not take its table locks within ${Math.round(waits.giveUpAfterMs / 1000)} s ` +
                `(${attempts} attempts of ${waits.lockTimeoutMs} ms)` +
                (holders.length ? `, held by ${holders.join('; ')}` : '') +
                (applied.length ? ` (applied before it: ${applied.map((r) => r.migrationName).join(', ')})` : '') +
                '. End those transactions or wait for them, then start again',
              { cause: step.error },
            );
          }
          opts.onLockWait?.({ attempt: attempts, retryInMs, holders });
          await delay(retryInMs);
        }
      } finally {
        if (turn) await sql`select pg_advisory_unlock(${MIGRATION_TURN_LOCK})`.execute(conn).catch(() => undefined);
      }
    }),
  );
  throwOnFailure(result);
  return result;
}

/**
 * Takes the migration turn (MIGRATION_TURN_LOCK): at once when free, else after `onTurnWait` and a wait of up to an
 * hour (a pooler in transaction mode can leave the lock on a server connection; past the hour, 55P03 says so).
 */
async function takeTurn<T>(conn: Kysely<T>, onTurnWait?: () => void): Promise<true> {
  const free = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${MIGRATION_TURN_LOCK}) as ok`.execute(conn);
  if (free.rows[0]?.ok === true) return true;
  onTurnWait?.();
  await sql`set lock_timeout = '1h'`.execute(conn);
  await sql`select pg_advisory_lock(${MIGRATION_TURN_LOCK})`.execute(conn).catch((err: unknown) => {
    if (sqlState(err) !== LOCK_NOT_AVAILABLE) throw err;
    throw new ConfigError(
      'waited an hour for another instance to finish migrating (advisory lock ' +
        `${MIGRATION_TURN_LOCK}): is one stuck, or did a pooler in transaction mode keep its lock? Migrate through ` +
        'a direct connection',
      { cause: err },
    );
  });
  return true;
}

/**
 * Whom the migration's session (`pid`) waits for: asked on another connection of `db` halfway through the lock
 * timeout, while the wait is under way (pg_blocking_pids). Empty when no other connection was free in time (a pool
 * of one), or nothing waited.
 */
function watchBlockers<T>(db: Kysely<T>, pid: number, lockTimeoutMs: number): { stop(): Promise<string[]> } {
  let done = false;
  let found: string[] = [];
  const timer = setTimeout(() => {
    if (done) return;
    void db
      .connection()
      .execute(async (other) => {
        if (done) return;
        found = await describeSessions(other, sql`a.pid = any(pg_blocking_pids(${pid}))`);
      })
      .catch(() => undefined);
  }, lockTimeoutMs / 2);
  return {
    async stop() {
      done = true;
      clearTimeout(timer);
      return found;
    },
  };
}

/**
 * The other sessions of this database in a transaction holding a table lock, oldest first: the likely ones in the
 * way when the blockers could not be asked for while the migration waited.
 */
function lockHolders<T>(conn: Kysely<T>): Promise<string[]> {
  return describeSessions(
    conn,
    sql`a.pid <> pg_backend_pid()
      and exists (select 1 from pg_locks l where l.pid = a.pid and l.locktype = 'relation' and l.granted)
      and (a.xact_start is null or a.xact_start < now() - interval '1 second')`,
  );
}

/**
 * Up to 3 sessions of this database matching `where` (over pg_stat_activity `a`), oldest transaction first, as
 * "pid 123 (psql, idle in transaction for 75 s, last statement: update integrations set secret = '…' …)": whom an
 * operator would end. String literals are blanked: a statement's text can hold a secret. A session of another role
 * shows only its pid unless Warroom's role has pg_read_all_stats.
 */
async function describeSessions<T>(conn: Kysely<T>, where: RawBuilder<unknown>): Promise<string[]> {
  const { rows } = await sql<{
    pid: number;
    app: string | null;
    state: string | null;
    secs: number | null;
    query: string | null;
  }>`
    select a.pid, a.application_name as app, a.state,
           extract(epoch from now() - a.xact_start)::int as secs, left(a.query, 200) as query
    from pg_stat_activity a
    where a.datname = current_database() and ${where}
    order by a.xact_start nulls last
    limit 3`
    .execute(conn)
    .catch(() => ({ rows: [] }));
  return rows.map((r) => {
    if (r.state === null) return `pid ${r.pid} (another role's session; grant pg_read_all_stats to see it)`;
    const statement = (r.query ?? '')
      .replace(/'(?:[^']|'')*'?/g, "'…'")
      .replace(/\s+/g, ' ')
      .slice(0, 80);
    const age = r.secs === null ? '' : ` for ${r.secs} s`;
    return `pid ${r.pid} (${r.app || 'no application_name'}, ${r.state}${age}, last statement: ${statement})`;
  });
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
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'DB_STARTUP_WAIT_MS'>,
  report: { onLockWait: OnLockWait; onTurnWait: () => void; onDatabaseWait: OnDatabaseWait } = {
    onLockWait: logLockWait,
    onTurnWait: () => console.error(TURN_WAIT_MESSAGE),
    onDatabaseWait: (wait) => console.error(describeDatabaseWait(wait)),
  },
): Promise<MigrationResultSet> {
  const where = config.DATABASE_URL ? 'DATABASE_URL' : `DATA_DIR ${config.DATA_DIR}`;
  try {
    await waitForDatabase(db, config.DB_STARTUP_WAIT_MS, report.onDatabaseWait);
    return await migrateToLatest(db, report);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot prepare the database (${where}): ${errorText(err)}`, { cause: err });
  }
}

/** Said once when another instance is migrating and this one waits for its turn. */
export const TURN_WAIT_MESSAGE = "waiting for another instance's migration to finish before migrating";

/** The CLI's report of a migration waiting for table locks: one line on stderr (`serve` logs it instead). */
export const logLockWait: OnLockWait = ({ attempt, retryInMs, holders }) =>
  console.error(describeLockWait({ attempt, retryInMs, holders }));

/** One line saying a migration gave way to other sessions' table locks, and whose. */
export function describeLockWait({ attempt, retryInMs, holders }: Parameters<OnLockWait>[0]): string {
  return (
    `migration attempt ${attempt} gave way to other sessions' table locks; trying again in ${retryInMs / 1000} s` +
    (holders.length ? ` (in its way: ${holders.join('; ')})` : '')
  );
}
