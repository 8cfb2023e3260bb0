// Queries that run on every delivery, every sweep, every scrape or every analysis must not read rows in proportion
// to tables that only grow (resolved alerts, ended silences, resolved incidents, chat in the timeline). Each case
// fills the table past the point where an unserved query shows (20,000 rows it should not touch), runs the query as
// the code builds it (captured from Kysely's log, so the test follows the code), and reads PostgreSQL's plan from
// EXPLAIN ANALYZE: no sequential scan of the grown table, and few rows read and thrown away. A review measured these
// at production sizes (docs/performance.md, 2026-12-01).
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeIncidentIds, loadAlerts, takeEndedSilences } from '../../src/db/alerts.js';
import { statusHistory } from '../../src/db/analysis.js';
import { countUnresolvedIncidents, listIncidents } from '../../src/db/incidents.js';
import { listSilences } from '../../src/db/integrations.js';
import { timelineSlice } from '../../src/db/timeline.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/types.js';
import { DB_LABEL, POSTGRES_URL, createScratchDatabase } from './harness.js';

/** Rows each grown table holds that the query under test has no reason to read. */
const GROWN = 20_000;
/** What a served query may read and discard: the few rows that match, with room for a planner's rechecks. */
const MAX_DISCARDED = 500;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Rows Removed by Join Filter'?: number;
  Plans?: PlanNode[];
}

const nodesOf = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodesOf)];

const suite = POSTGRES_URL ? describe : describe.skip;

suite(`hot queries on grown tables (${DB_LABEL})`, () => {
  let scratch: { url: string; drop(): Promise<void> };
  let db: Kysely<Database>;
  const captured: CompiledQuery[] = [];
  let integrationId = '';

  beforeAll(async () => {
    if (!POSTGRES_URL) return;
    scratch = await createScratchDatabase(POSTGRES_URL);
    db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max: 1 }) }),
      log: (e) => {
        if (e.level === 'query') captured.push(e.query);
      },
    });
    await migrateToLatest(db);
    const integration = await sql<{ id: string }>`insert into integrations (name, kind, secret, secret_hash)
      values ('am', 'alertmanager', 's', 'h') returning id`.execute(db);
    integrationId = integration.rows[0]?.id ?? '';
    // Resolved incidents, each with an alert group (a PagerDuty change event looks through them), and a few active.
    await sql`insert into incidents (title, severity, source, status, created_at)
      select 'old ' || i, 'high', 'am', 'resolved', now() - make_interval(mins => i)
      from generate_series(1, ${GROWN}) i`.execute(db);
    await sql`insert into incidents (title, severity, source, status, created_at)
      select 'old ' || i, 'high', 'am', 'open', now() - interval '400 days' from generate_series(1, 3) i`.execute(db);
    // Tags: the newest nine tenths of the incidents share two; the oldest tenth carry only 'legacy' (given after
    // creation, as an alert gives 'flapping'). Common enough that PostgreSQL's statistics call it cheap to find by
    // walking the incidents newest first; all of it at the far end of that walk.
    await sql`update incidents set tags = case when created_at > now() - make_interval(mins => ${(GROWN * 9) / 10})
      then array['prod', 'db'] else array['legacy'] end`.execute(db);
    await sql`insert into alert_groups (integration_id, group_key, incident_id)
      select ${integrationId}, 'g-' || id, id from incidents`.execute(db);
    // One group whose alerts came and went for years: every one resolved but three.
    await sql`insert into alerts (integration_id, dedup_key, group_key, status, state, title, severity, source, labels,
        annotations, links, details, fired_at, first_seen_at, last_seen_at)
      select ${integrationId}, 'fp-' || i, 'busy', case when i <= 3 then 'firing' else 'resolved' end, 'active', 't',
        'high', 'am', '{}', '{}', '[]', '{}', now(), now(), now()
      from generate_series(1, ${GROWN}) i`.execute(db);
    // Silences that ended long ago and were released, and two ended ones the sweep has still to take.
    await sql`insert into silences (matchers, starts_at, ends_at, comment, created_by, released_at, created_at)
      select '[]', now() - interval '30 days', now() - interval '29 days', 'c', 'x',
        case when i <= 2 then null else now() - interval '29 days' end, now() - make_interval(secs => i)
      from generate_series(1, ${GROWN}) i`.execute(db);
    // An incident whose timeline is mostly chat, with a few status changes the analyzer reads.
    const busy = await sql<{ id: string }>`select id from incidents where status = 'open' limit 1`.execute(db);
    await sql`insert into timeline_entries (incident_id, entry_type, title, actor)
      select ${busy.rows[0]?.id}, case when i % 5000 = 0 then 'status_change' else 'comment' end, 'm', 'x'
      from generate_series(1, ${GROWN}) i`.execute(db);
    await sql`analyze`.execute(db);
  }, 120_000);

  afterAll(async () => {
    await db?.destroy();
    await scratch?.drop();
  });

  /** Runs `run` and returns the plan PostgreSQL followed for the one query it sent (its changes rolled back). */
  async function planOf(run: (db: Kysely<Database>) => Promise<unknown>): Promise<PlanNode[]> {
    captured.length = 0;
    await db
      .transaction()
      .execute(async (tx) => {
        await run(tx);
        throw new RolledBack();
      })
      .catch((err: unknown) => {
        if (!(err instanceof RolledBack)) throw err;
      });
    const queries = captured.filter((q) => !/^(begin|commit|rollback)/i.test(q.sql));
    expect(queries).toHaveLength(1);
    const query = queries[0] as CompiledQuery;
    const nodes = await db.transaction().execute(async (tx) => {
      const r = await tx.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>({
        ...query,
        sql: `explain (analyze, format json) ${query.sql}`,
      });
      await sql`rollback`.execute(tx).catch(() => undefined);
      return nodesOf(r.rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode);
    });
    return nodes;
  }

  function expectServed(nodes: PlanNode[], table: string): void {
    const seqScans = nodes.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === table);
    expect(seqScans, `a sequential scan of ${table}`).toEqual([]);
    const discarded = nodes.reduce(
      (sum, n) =>
        sum +
        (n['Rows Removed by Filter'] ?? 0) +
        (n['Rows Removed by Index Recheck'] ?? 0) +
        (n['Rows Removed by Join Filter'] ?? 0),
      0,
    );
    expect(discarded).toBeLessThan(MAX_DISCARDED);
  }

  it("a delivery's alerts: the firing ones of its group, not every alert the group ever had", async () => {
    const nodes = await planOf((tx) => loadAlerts(tx, integrationId, ['fp-1', 'new-fp'], ['busy']));
    expectServed(nodes, 'alerts');
  });

  it('the silence sweep: ended silences not yet released, not every ended silence', async () => {
    const nodes = await planOf((tx) => takeEndedSilences(tx, new Date()));
    expectServed(nodes, 'silences');
  });

  it('the silence list, newest first, without sorting the whole table', async () => {
    const nodes = await planOf((tx) => listSilences(tx, undefined, 50));
    expectServed(nodes, 'silences');
    expect(nodes.filter((n) => n['Node Type'] === 'Sort')).toEqual([]);
  });

  it('the open-incidents gauge: active incidents only, not every incident', async () => {
    const nodes = await planOf((tx) => countUnresolvedIncidents(tx));
    expectServed(nodes, 'incidents');
  });

  // Served at this size by the status index; with 300,000 groups and a million incidents the review saw the planner
  // walk every incident newest first instead (457 ms): an estimate no index here changes (docs/performance.md).
  it("a change event's incidents: the integration's active ones, not its every group and incident", async () => {
    const nodes = await planOf((tx) => activeIncidentIds(tx, integrationId));
    expectServed(nodes, 'incidents');
    expectServed(nodes, 'alert_groups');
  });

  // Before the tag table (2026-12-01) PostgreSQL walked every incident newest first and checked its tags: 293-363 ms
  // a page at 1,000,000 incidents.
  it('the incident list by a tag only old incidents have, or none: those incidents, not every one', async () => {
    for (const tag of ['legacy', 'no-such-tag']) {
      const nodes = await planOf((tx) => listIncidents(tx, { tag, limit: 50, offset: 0 }));
      expectServed(nodes, 'incidents');
      expectServed(nodes, 'incident_tags');
    }
    const filtered = await planOf((tx) => listIncidents(tx, { tag: 'db', status: 'resolved', limit: 50, offset: 0 }));
    expectServed(filtered, 'incidents');
  });

  it("a page of a timeline of 20,000 entries: the page's entries, either way", async () => {
    const busy = await sql<{ id: string }>`select incident_id as id from timeline_entries limit 1`.execute(db);
    for (const newestFirst of [false, true]) {
      const nodes = await planOf((tx) => timelineSlice(tx, busy.rows[0]?.id ?? '', { limit: 1001, newestFirst }));
      expectServed(nodes, 'timeline_entries');
      expect(nodes.filter((n) => n['Node Type'] === 'Sort')).toEqual([]);
    }
  });

  it("an incident's status history: its status changes, not all its chat", async () => {
    const busy = await sql<{ id: string }>`select incident_id as id from timeline_entries limit 1`.execute(db);
    const nodes = await planOf((tx) => statusHistory(tx, busy.rows[0]?.id ?? ''));
    expectServed(nodes, 'timeline_entries');
  });
});

class RolledBack extends Error {}
