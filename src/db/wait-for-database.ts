// Start-up against a database that is not up yet: a compose file or a Kubernetes pod starting Warroom beside its
// PostgreSQL, a DNS name not yet resolvable, a server still replaying its WAL (57P03).
import { setTimeout as delay } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import { isDatabaseUnavailable, needsOperator } from './errors.js';

/** The pauses between attempts (ms), the last repeated: quick at first, for a database a few seconds from ready. */
export const DATABASE_WAIT_DELAYS_MS = [500, 1_000, 2_000, 4_000, 5_000];

/** Told of each failed attempt before its pause: which attempt, the pause (ms), and the error it met. */
export type OnDatabaseWait = (wait: { attempt: number; retryInMs: number; err: unknown }) => void;

/**
 * Resolves once `db` answers `select 1`. An error that says the database is not reachable yet or cannot serve yet
 * (isDatabaseUnavailable: refused, reset, unresolvable host, 57P03 starting up, 53300 too many connections) is tried
 * again after a pause (DATABASE_WAIT_DELAYS_MS), calling `onWait`, for up to `waitMs` in all (0: one attempt; the
 * config's DB_STARTUP_WAIT_MS). Anything else, and what only an operator can mend (needsOperator: refused
 * credentials, no such database), is thrown at once; so is the last error once `waitMs` is spent. This is what
 * Gitea (`DB_RETRIES`), Mattermost and Grafana do on start rather than exit at the first refusal, leaving a restart
 * loop to the supervisor.
 */
export async function waitForDatabase<T>(db: Kysely<T>, waitMs: number, onWait?: OnDatabaseWait): Promise<void> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`select 1`.execute(db);
      return;
    } catch (err) {
      if (!isDatabaseUnavailable(err) || needsOperator(err)) throw err;
      const retryInMs = DATABASE_WAIT_DELAYS_MS[Math.min(attempt, DATABASE_WAIT_DELAYS_MS.length) - 1] ?? 5_000;
      if (performance.now() - started + retryInMs > waitMs) throw err;
      onWait?.({ attempt, retryInMs, err });
      await delay(retryInMs);
    }
  }
}

/** One line saying the database did not answer yet, why, and when the next attempt is. */
export function describeDatabaseWait({ attempt, retryInMs, err }: Parameters<OnDatabaseWait>[0]): string {
  return `the database is not reachable yet (attempt ${attempt}: ${errorText(err)}); trying again in ${retryInMs / 1000} s`;
}

/** An error's message; node's connect to every address of a host (an AggregateError) has none of its own. */
export function errorText(err: unknown): string {
  if (err instanceof AggregateError && !err.message) return err.errors.map(errorText).join('; ');
  return err instanceof Error ? err.message || err.name : String(err);
}
