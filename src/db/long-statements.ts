// A session set up for statements that may run for minutes (a migration, an index build), then put back as it was.
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { STATEMENT_TIMEOUT_OFF_SQL, STATEMENT_TIMEOUT_RESTORE_SQL } from './query-deadline.js';

/**
 * Runs `work` on the connection `conn` (from `db.connection().execute`) with its `statement_timeout` off, and so
 * the pool's client-side deadline (./query-deadline.ts), then restores the session's `statement_timeout` and
 * `lock_timeout` before the pool hands the connection to a request. `work` sets its own `lock_timeout` when it needs
 * one (and only after any wait that must not be cut short by it). Restoring is best effort: a connection that broke
 * during `work` fails it too, and `work`'s own error is the one worth reporting.
 */
export async function withLongStatements<T, R>(conn: Kysely<T>, work: () => Promise<R>): Promise<R> {
  const { rows } = await sql<{ statement: string; lock: string }>`
    select current_setting('statement_timeout') as statement, current_setting('lock_timeout') as lock`.execute(conn);
  const previous = rows[0] ?? { statement: '0', lock: '0' };
  try {
    await sql.raw(STATEMENT_TIMEOUT_OFF_SQL).execute(conn);
    return await work();
  } finally {
    await conn
      .executeQuery(CompiledQuery.raw(STATEMENT_TIMEOUT_RESTORE_SQL, [previous.statement]))
      .catch(() => undefined);
    await sql`select set_config('lock_timeout', ${previous.lock}, false)`.execute(conn).catch(() => undefined);
  }
}
