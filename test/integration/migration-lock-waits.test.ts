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

// The two newest migrations and the tables they lock (the per-migration transaction test names them).
const BEFORE_BOTH = '2026-12-02T0000_alerts_sender_group';
const FIRST = '2026-12-02T1000_incident_analysis_conclusion';
const FIRST_TABLE = 'incidents';
const SECOND = '2026-12-02T1400_events_arrival_index';
const SECOND_TABLE = 'events';

suite(`migrations and other sessions' table locks (${DB_LABEL})`, () => {
  let scratch: Awaited<ReturnType<typeof scratchKysely>>;
  let db: Kysely<Database>;
  const clients: pg.Client[] = [];

  /** The latest migration undone, so the next migrateToLatest has one to apply (whichever table it alters). */
  beforeEach(async () => {
    if (!POSTGRES_URL) return;
    // Two connections: the migration's, and one to ask PostgreSQL whom it waits for.
    scratch = await scratchKysely(POSTGRES_URL, 2);
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
      `select format('%I', tablename) as name from pg_tables where schemaname = 'public' and tablename <> 'decoy_table'`,
    );
    await c.query('begin');
    for (const { name } of rows) await c.query(`lock table ${name} in row exclusive mode`);
    return c;
  }

  /**
   * The table a session of this database is waiting to lock, once one is. pg_locks holds every database's locks: on a
   * server other test files share, another database's waiting lock named a relation this one does not have, which
   * regclass printed as its OID (CI, 2026-12-03: "syntax error at or near "17942"").
   */
  async function waitedTable(observer: pg.Client): Promise<string> {
    for (;;) {
      const { rows } = await observer.query<{ name: string }>(
        `select relation::regclass::text as name from pg_locks
         where not granted and locktype = 'relation'
           and database = (select oid from pg_database where datname = current_database())
         limit 1`,
      );
      if (rows[0]) return rows[0].name;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** A session of another kind, older than the one in the way, holding a table no migration touches. */
  async function decoy(): Promise<void> {
    await db.schema.createTable('decoy_table').addColumn('x', 'integer').execute();
    const c = await client('decoy-dashboard');
    await c.query('begin');
    await c.query('lock table decoy_table in access exclusive mode');
    await new Promise((r) => setTimeout(r, 1_100));
  }

  it('gives way to a long transaction, lets the other sessions through meanwhile, and applies once it ends', async () => {
    await decoy();
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
    // The session in the way, asked for while the migration waited; not the older one that is not.
    expect(waits[0]?.holders).toEqual([
      expect.stringMatching(
        /^pid \d+ \(stuck-writer, idle in transaction for \d+ s, last statement: lock table \S+ in row exclusive mode\)$/,
      ),
    ]);

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
      /^migration \S+ could not take its table locks within 1 s \(\d+ attempts of 200 ms\), held by pid \d+ \(stuck-writer, idle in transaction for \d+ s, last statement: lock table .*\)\. End those transactions/,
    );
    const still = (await createMigrator(db).getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
    expect(still).toEqual(pending);
  });

  it('names the oldest lock holders when it cannot ask whom it waits for (a pool of one), secrets blanked', async () => {
    const one = await scratchKysely(POSTGRES_URL ?? '', 1);
    let c: pg.Client | undefined;
    try {
      await migrateToLatest(one.db);
      expect((await createMigrator(one.db).migrateDown()).error).toBeUndefined();
      c = new pg.Client({ connectionString: one.url, application_name: 'stuck-writer' });
      await c.connect();
      await c.query('begin');
      const { rows } = await c.query<{ name: string }>(
        `select format('%I', tablename) as name from pg_tables where schemaname = 'public'`,
      );
      for (const { name } of rows) await c.query(`lock table ${name} in row exclusive mode`);
      await c.query(`select 'hunter2' as secret, 'it''s' as quoted`);
      await new Promise((r) => setTimeout(r, 1_100));
      const failure = await migrateToLatest(one.db, {
        waits: { lockTimeoutMs: 200, retryDelaysMs: [100], giveUpAfterMs: 500 },
      }).catch((err: unknown) => err);
      expect((failure as Error).message).toMatch(
        /\(stuck-writer, idle in transaction for \d+ s, last statement: select '…' as secret, '…' as quoted\)/,
      );
      expect((failure as Error).message).not.toContain('hunter2');
    } finally {
      await c?.end();
      await one.close();
    }
  });

  it('applies each migration in its own transaction: one that waits does not hold or retake the tables of those before it', async () => {
    // The two newest: one alters incidents, the next indexes events; a session stays in the way of the second only.
    expect((await createMigrator(db).migrateTo(BEFORE_BOTH)).error).toBeUndefined();
    const stuck = await client('stuck-writer');
    await stuck.query('begin');
    await stuck.query(`lock table ${SECOND_TABLE} in row exclusive mode`);
    const migrating = migrateToLatest(db, {
      waits: { lockTimeoutMs: 300, retryDelaysMs: [100], giveUpAfterMs: 60_000 },
    });
    migrating.catch(() => undefined);
    // The first is committed while the second still waits, and the first's table takes writes without a stall.
    await expect
      .poll(async () => (await createMigrator(db).getMigrations()).find((m) => m.name === FIRST)?.executedAt, {
        timeout: 10_000,
      })
      .toBeInstanceOf(Date);
    const writer = await client('running-instance');
    await writer.query('set statement_timeout = 250');
    for (let i = 0; i < 10; i++) {
      await writer.query('begin');
      await writer.query(`lock table ${FIRST_TABLE} in row exclusive mode`);
      await writer.query('rollback');
      await new Promise((r) => setTimeout(r, 50));
    }
    await stuck.query('commit');
    const result = await migrating;
    expect(result.results?.map((r) => [r.migrationName, r.status])).toEqual([
      [FIRST, 'Success'],
      [SECOND, 'Success'],
    ]);
  });

  it('waits its turn behind another instance migrating, however long that takes, without using up its attempts', async () => {
    // Another instance of this release holds the turn (its migration, say an index on a large table, runs long).
    const other = await client('other-instance');
    await other.query(`select pg_advisory_lock(${MIGRATION_TURN_LOCK})`);
    let done = false;
    let told = 0;
    const migrating = migrateToLatest(db, {
      waits: { lockTimeoutMs: 100, retryDelaysMs: [100], giveUpAfterMs: 300 },
      onTurnWait: () => told++,
    }).finally(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(done).toBe(false);
    expect(told).toBe(1);
    await other.query(`select pg_advisory_unlock(${MIGRATION_TURN_LOCK})`);
    const result = await migrating;
    expect(result.results?.map((r) => r.status)).toEqual(['Success']);
  });
});
