// A migration meeting a long transaction (a rolling upgrade while a batch job, or a session left `idle in
// transaction`, holds a table): it must give way rather than queue every other statement on that table behind its
// own lock request, try again, and in the end say whose transaction stood in the way. Before lock_timeout, the
// running instances' statements on the table waited as long as the long transaction lasted.
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { MIGRATION_TURN_LOCK, createMigrator, migrateToLatest, type OnLockWait } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/types.js';
import { DB_LABEL, POSTGRES_URL, scratchKysely } from './harness.js';

const suite = POSTGRES_URL ? describe : describe.skip;

suite(`migrations and other sessions' table locks (${DB_LABEL})`, () => {
  let scratch: Awaited<ReturnType<typeof scratchKysely>>;
  let db: Kysely<Database>;
  const clients: pg.Client[] = [];

  /** The latest migration undone, so the next migrateToLatest has one to apply (whichever table it alters). */
  beforeEach(async () => {
    if (!POSTGRES_URL) return;
    scratch = await scratchKysely(POSTGRES_URL, 1);
    db = scratch.db;
    await migrateToLatest(db);
    const down = await createMigrator(db).migrateDown();
    expect(down.error).toBeUndefined();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
    await scratch?.close();
  });

  async function client(applicationName: string): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: scratch.url, application_name: applicationName });
    await c.connect();
    clients.push(c);
    return c;
  }

  /**
   * A session in a transaction that has written to every table of the schema (ROW EXCLUSIVE, which every DDL lock a
   * migration takes conflicts with, CREATE INDEX's SHARE included), and then sits idle.
   */
  async function longWriter(): Promise<pg.Client> {
    const c = await client('stuck-writer');
    const { rows } = await c.query<{ name: string }>(
      `select format('%I', tablename) as name from pg_tables where schemaname = 'public'`,
    );
    await c.query('begin');
    for (const { name } of rows) await c.query(`lock table ${name} in row exclusive mode`);
    return c;
  }

  /** The table a session is waiting to lock, once one is. */
  async function waitedTable(observer: pg.Client): Promise<string> {
    for (;;) {
      const { rows } = await observer.query<{ name: string }>(
        `select relation::regclass::text as name from pg_locks where not granted and locktype = 'relation' limit 1`,
      );
      if (rows[0]) return rows[0].name;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('gives way to a long transaction, lets the other sessions through meanwhile, and applies once it ends', async () => {
    const stuck = await longWriter();
    const waits: Parameters<OnLockWait>[0][] = [];
    const migrating = migrateToLatest(db, {
      waits: { lockTimeoutMs: 1_500, retryDelaysMs: [100], giveUpAfterMs: 60_000 },
      onLockWait: (w) => waits.push(w),
    });
    migrating.catch(() => undefined);

    // A running instance writes to the very table the migration is waiting for: it waits at most one lock timeout.
    const observer = await client('observer');
    const table = await waitedTable(observer);
    const writer = await client('running-instance');
    await writer.query(`set statement_timeout = 4000`);
    const started = performance.now();
    await writer.query('begin');
    await writer.query(`lock table ${table} in row exclusive mode`);
    await writer.query('rollback');
    expect(performance.now() - started).toBeLessThan(4_000);

    await expect.poll(() => waits.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect(waits[0]?.attempt).toBe(1);
    expect(waits[0]?.retryInMs).toBe(100);
    expect(waits[0]?.holders.join('\n')).toMatch(/^pid \d+ \(stuck-writer, idle in transaction, \d+ s\): lock table/);

    await stuck.query('commit');
    const result = await migrating;
    expect(result.results?.map((r) => r.status)).toEqual(['Success']);
    // The pool's connection is handed back as it was: no lock_timeout, no advisory lock.
    const after = await sql<{ lock: string; held: number }>`
      select current_setting('lock_timeout') as lock,
             (select count(*)::int from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()) as held`.execute(
      db,
    );
    expect(after.rows[0]).toEqual({ lock: '0', held: 0 });
  });

  it('gives up in the end naming the session in the way, with nothing half-applied', async () => {
    await longWriter();
    const pending = (await createMigrator(db).getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
    expect(pending).toHaveLength(1);
    const failure = await migrateToLatest(db, {
      waits: { lockTimeoutMs: 200, retryDelaysMs: [100, 200], giveUpAfterMs: 1_200 },
    }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as Error).message).toMatch(
      /^migrations could not take their table locks within 1 s \(\d+ attempts of 200 ms\): other sessions hold them, longest first: pid \d+ \(stuck-writer, idle in transaction, \d+ s\): lock table .*End those transactions/,
    );
    const still = (await createMigrator(db).getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
    expect(still).toEqual(pending);
  });

  it('waits its turn behind another instance migrating, however long that takes, without using up its attempts', async () => {
    // Another instance of this release holds the turn (its migration, say an index on a large table, runs long).
    const other = await client('other-instance');
    await other.query(`select pg_advisory_lock(${MIGRATION_TURN_LOCK})`);
    let done = false;
    const migrating = migrateToLatest(db, {
      waits: { lockTimeoutMs: 100, retryDelaysMs: [100], giveUpAfterMs: 300 },
    }).finally(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(done).toBe(false);
    await other.query(`select pg_advisory_unlock(${MIGRATION_TURN_LOCK})`);
    const result = await migrating;
    expect(result.results?.map((r) => r.status)).toEqual(['Success']);
  });
});
