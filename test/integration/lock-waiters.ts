// Waiting for other sessions to queue on a lock, for tests that hold one and need the request under test blocked on it.
import pg from 'pg';

/**
 * Resolves once at least `n` sessions of the database at `url` wait for a lock (wait_event_type 'Lock'), polling
 * every 100 ms for up to `ms`; throws after that.
 *
 * It asks on a connection of its own, outside any transaction: PostgreSQL keeps one snapshot of pg_stat_activity for
 * the rest of a transaction once it has read it ("Statistics Functions", PostgreSQL 15 docs §28.2.2), so a test that
 * polled from the transaction holding the lock saw the sessions of its first look forever, and failed whenever the
 * request under test had not queued by then (CI, 2026-12-02).
 */
export async function sessionsWaitOnLock(url: string, n = 1, ms = 10_000): Promise<void> {
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  try {
    const giveUpAt = Date.now() + ms;
    for (;;) {
      const { rows } = await watcher.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
      );
      if ((rows[0]?.n ?? 0) >= n) return;
      if (Date.now() > giveUpAt) throw new Error(`fewer than ${n} sessions waiting on a lock after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await watcher.end();
  }
}
