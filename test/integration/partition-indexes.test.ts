// The events tail's index (migrations/2026-12-02T1400_events_arrival_index.ts), made on `events` alone by the
// migration and built on each partition CONCURRENTLY by partition maintenance (src/db/partition-indexes.ts): every
// partition gets it, the parent turns valid, the tail of a large incident reads a page and not the whole incident,
// partitions made later have it, a build left behind invalid is made again, and shutting down cancels a build that
// waits. Each case runs on the embedded PostgreSQL and, given TEST_DATABASE_URL, on a real one.
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listEvents } from '../../src/db/events.js';
import { listEventPartitions, maintainEventPartitions } from '../../src/db/event-partitions.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { partitionIndexName, pendingPartitionIndexes } from '../../src/db/partition-indexes.js';
import type { Database } from '../../src/db/types.js';
import { startPartitionMaintenance } from '../../src/event-partition-maintenance.js';
import { createMetrics } from '../../src/metrics.js';
import { DB_LABEL, POSTGRES_URL, createScratchDatabase } from './harness.js';

const ARRIVAL = 'events_incident_arrival_idx';
/** Events of the one large incident: a tail read of all of them is what the index is there to avoid. */
const GROWN = 20_000;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}
const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

const suite = POSTGRES_URL ? describe : describe.skip;

suite(`the events tail index, built partition by partition (${DB_LABEL})`, () => {
  let scratch: { url: string; drop(): Promise<void> };
  let db: Kysely<Database>;
  const captured: CompiledQuery[] = [];
  const clients: pg.Client[] = [];

  beforeEach(async () => {
    if (!POSTGRES_URL) return;
    scratch = await createScratchDatabase(POSTGRES_URL);
    db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max: 3 }) }),
      log: (e) => {
        if (e.level === 'query') captured.push(e.query);
      },
    });
    await migrateToLatest(db);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
    await db?.destroy();
    await scratch?.drop();
  });

  const parentValid = async (): Promise<boolean | undefined> =>
    (
      await sql<{
        valid: boolean;
      }>`select indisvalid as valid from pg_index where indexrelid = ${ARRIVAL}::regclass`.execute(db)
    ).rows[0]?.valid;

  /** Each partition's index attached to the parent: partition name → index name. */
  async function attached(): Promise<Record<string, string>> {
    const { rows } = await sql<{ part: string; idx: string }>`
      select x.indrelid::regclass::text as part, c.relname as idx
      from pg_inherits i join pg_index x on x.indexrelid = i.inhrelid join pg_class c on c.oid = x.indexrelid
      where i.inhparent = ${ARRIVAL}::regclass and x.indisvalid`.execute(db);
    return Object.fromEntries(rows.map((r) => [r.part, r.idx]));
  }

  it('is built on every partition and the parent turns valid; a large tail reads one page, not the incident', async () => {
    // Straight after the migration: the parent is not valid and no partition has the index.
    expect(await parentValid()).toBe(false);
    const partitions = (await listEventPartitions(db)).map((p) => p.name);
    expect(await pendingPartitionIndexes(db)).toEqual([
      {
        parent: ARRIVAL,
        using: expect.stringMatching(/^USING btree \(incident_id, COALESCE\(xact/),
        partitions: [...partitions].sort(),
      },
    ]);

    const incident = await sql<{ id: string; created_at: Date }>`
      insert into incidents (title, severity, source) values ('large', 'high', 'test') returning id, created_at`.execute(
      db,
    );
    const { id, created_at } = incident.rows[0] as { id: string; created_at: Date };
    await sql`insert into events (incident_id, event_type, message, level, source, "timestamp")
      select ${id}, 'log', 'line ' || g, 'error', 'db-1', now() - make_interval(secs => g)
      from generate_series(1, ${GROWN}) g`.execute(db);

    const round = await maintainEventPartitions(db, { buildIndexes: true });
    expect(round.indexesBuilt.sort()).toEqual(partitions.map((p) => partitionIndexName(p, ARRIVAL)).sort());
    expect(await parentValid()).toBe(true);
    // Every partition, those the round made ahead included (they had it as they were attached).
    expect(round.created.length).toBeGreaterThan(0);
    const all = (await listEventPartitions(db)).map((p) => p.name);
    expect(Object.keys(await attached()).sort()).toEqual(all.sort());
    expect(await pendingPartitionIndexes(db)).toEqual([]);
    await sql`analyze events`.execute(db);

    // The tail from near the end, as the REST `after` cursor and the console's catch-up read it.
    const near = await sql<{ xact: string; seq: string }>`
      select coalesce(xact, 0)::text as xact, seq::text as seq from events where incident_id = ${id}
      order by coalesce(events.xact, 0), events.seq offset ${GROWN - 50} limit 1`.execute(db);
    const after = near.rows[0] as { xact: string; seq: string };
    captured.length = 0;
    const page = await listEvents(db, {
      incident_id: id,
      incident_created_at: created_at,
      limit: 101,
      order: { by: 'arrival', after, visible: true },
    });
    expect(page).toHaveLength(49);
    const query = captured.find((q) => /from "events"/.test(q.sql)) as CompiledQuery;
    const plan = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>({
      ...query,
      sql: `explain (analyze, format json) ${query.sql}`,
    });
    const nodes = nodesOf(plan.rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode);
    // Each partition's scan is of its arrival index and reads only the page (a sort of those few rows may follow).
    // The partition holding the events is read through its arrival index; the empty ones may be scanned whole.
    const scans = nodes.filter((n) => /Scan/.test(n['Node Type']));
    for (const scan of scans.filter((n) => n['Index Name'] !== undefined)) {
      expect(scan['Index Name']).toMatch(/_incident_arrival_idx$/);
    }
    expect(scans.some((n) => /_incident_arrival_idx$/.test(n['Index Name'] ?? '') && n['Actual Rows'] === 49)).toBe(
      true,
    );
    const read = scans.reduce((sum, n) => sum + (n['Actual Rows'] ?? 0) + (n['Rows Removed by Filter'] ?? 0), 0);
    expect(read).toBeLessThan(500);

    // A partition made later has the index as it is attached: nothing is left pending.
    const later = await maintainEventPartitions(db, {
      now: new Date(Date.now() + 28 * 86_400_000),
      buildIndexes: true,
    });
    expect(later.created.length).toBeGreaterThan(0);
    expect(later.indexesBuilt).toEqual([]);
    expect(Object.keys(await attached())).toEqual(expect.arrayContaining(later.created));
    expect(await parentValid()).toBe(true);
  });

  it('makes again a build left invalid, and attaches one built but not attached', async () => {
    const [first, second] = (await listEventPartitions(db)).filter((p) => !p.isDefault).map((p) => p.name);
    if (!first || !second) throw new Error('expected two dated partitions');
    const firstName = partitionIndexName(first, ARRIVAL);
    const secondName = partitionIndexName(second, ARRIVAL);
    // A concurrent build that failed half-way leaves an invalid index under the name (here: a unique index that two
    // events of one incident break).
    const incident = await sql<{ id: string }>`
      insert into incidents (title, severity, source) values ('two events', 'high', 'test') returning id`.execute(db);
    const id = incident.rows[0]?.id;
    await sql`insert into events (incident_id, event_type, message, level, source, "timestamp", received_at)
      select ${id}, 'log', 'line', 'error', 'db-1', now(), p.lower
      from (values (1), (2)) v(n),
           (select substring(pg_get_expr(c.relpartbound, c.oid) from $re$FROM \\('([^']+)'\\)$re$)::timestamptz as lower
            from pg_class c where c.relname = ${first}) p`.execute(db);
    const failed = await sql
      .raw(`create unique index concurrently "${firstName}" on "${first}" (incident_id)`)
      .execute(db)
      .catch((err: unknown) => err);
    expect(String(failed)).toMatch(/could not create unique index/);
    // One built by hand (or by a round cut short after its build), not attached.
    await sql.raw(`create index "${secondName}" on "${second}" (incident_id, (coalesce(xact, 0)), seq)`).execute(db);

    const round = await maintainEventPartitions(db, { buildIndexes: true });
    expect(round.indexesBuilt).toContain(firstName);
    expect(round.indexesBuilt).not.toContain(secondName);
    const now = await attached();
    expect(now[first]).toBe(firstName);
    expect(now[second]).toBe(secondName);
    expect(await parentValid()).toBe(true);
    // The rebuilt one is the migration's definition, not the failed unique one.
    const def = await sql<{ def: string }>`select pg_get_indexdef(${firstName}::regclass) as def`.execute(db);
    expect(def.rows[0]?.def).toMatch(/^CREATE INDEX .* USING btree \(incident_id, COALESCE\(xact/);
  });

  it('builds on a connection of its own; shutting down cancels a build that waits on an old transaction; the next start builds it', async () => {
    // A concurrent build waits for every transaction with an older snapshot to end: one left open here.
    const old = new pg.Client({ connectionString: scratch.url, application_name: 'old-snapshot' });
    await old.connect();
    clients.push(old);
    await old.query('begin isolation level repeatable read');
    await old.query('select 1 from incidents limit 1');

    // The server's request pool at its smallest (DB_POOL_SIZE=1): the build runs on a connection of its own.
    const requests = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max: 1 }) }),
    });
    const logger = pino({ level: 'silent' });
    const maintenance = await startPartitionMaintenance({
      db: requests,
      retentionDays: undefined,
      metrics: createMetrics(),
      logger,
      buildUrl: scratch.url,
    });
    // The background round is building, waiting on the old transaction.
    await expect
      .poll(
        async () =>
          (
            await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
              where datname = current_database() and query ilike 'create index concurrently%' and wait_event_type = 'Lock'`.execute(
              db,
            )
          ).rows[0]?.n,
        { timeout: 20_000 },
      )
      .toBe(1);
    // Requests still get the pool's one connection while the build waits.
    const asked = performance.now();
    await sql`select 1`.execute(requests);
    expect(performance.now() - asked).toBeLessThan(1_000);
    const started = performance.now();
    await maintenance.stop();
    expect(performance.now() - started).toBeLessThan(5_000);
    await requests.destroy();
    expect(await parentValid()).toBe(false);

    await old.query('commit');
    const round = await maintainEventPartitions(db, { buildIndexes: true });
    expect(round.indexesBuilt.length).toBeGreaterThan(0);
    expect(await parentValid()).toBe(true);
  });
});
