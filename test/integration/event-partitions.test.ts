// Events partitioned by arrival week (issue 18, item 5): a new database and one upgraded with events in it, paging and
// tailing across partitions, reads that skip partitions older than the incident, rows caught by the default
// partition moved out, retention dropping whole partitions while incidents keep their analysis, instances taking
// turns. Each case runs on the embedded PostgreSQL and, given TEST_DATABASE_URL, on a real one.
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Event, Incident } from '../../schema/index.js';
import { listEvents } from '../../src/db/events.js';
import { listEventPartitions, maintainEventPartitions, weekStart } from '../../src/db/event-partitions.js';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js';
import { pendingPartitionIndexes } from '../../src/db/partition-indexes.js';
import type { Database } from '../../src/db/types.js';
import {
  DB_LABEL,
  POSTGRES_URL,
  createIncident,
  createScratchDatabase,
  startTestApp,
  type TestServer,
} from './harness.js';

const DAY = 86_400_000;
const LAST_UNPARTITIONED = '2026-11-29T2000_alerts';
const poolFor = (url: string) =>
  new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 3 }) }) });

/** Which partition holds each event of an incident, by event id. */
async function partitionOf(db: Kysely<Database>, incidentId: string): Promise<Map<string, string>> {
  const { rows } = await sql<{ id: string; part: string }>`
    select id, tableoid::regclass::text as part from events where incident_id = ${incidentId}`.execute(db);
  return new Map(rows.map((r) => [r.id, r.part]));
}

/** Follows a list's rel="next" links; every event id in page order. */
async function followAll(s: TestServer, first: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined = first;
  for (let i = 0; next && i < 100; i++) {
    const res = await s.api(next);
    expect(res.status).toBe(200);
    ids.push(
      ...Event.array()
        .parse(await res.json())
        .map((e) => e.id),
    );
    next = /^<([^>]+)>; rel="next"$/.exec(res.headers.get('link') ?? '')?.[1];
  }
  return ids;
}

/**
 * Waits for a new server's background round to have built the partition indexes (src/db/partition-indexes.ts): it
 * holds the maintenance lock meanwhile, so a round the test runs would skip, and DDL the test runs on `events` could
 * deadlock with it.
 */
async function indexesBuilt(s: TestServer): Promise<void> {
  // A loop, not expect.poll, which only runs inside a test (this runs in beforeAll).
  for (const end = Date.now() + 30_000; (await pendingPartitionIndexes(s.database.db)).length > 0;) {
    if (Date.now() > end) throw new Error('the partition indexes were not built within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ingest = async (s: TestServer, incidentId: string, messages: string[]): Promise<string[]> => {
  const res = await s.api('/api/ingest/events/batch', {
    json: messages.map((message) => ({
      incident_id: incidentId,
      event_type: 'log',
      level: 'error',
      source: 'db-1',
      message,
    })),
  });
  expect(res.status).toBe(201);
  return Event.array()
    .parse(await res.json())
    .map((e) => e.id);
};

describe(`event partitions on a new database (${DB_LABEL})`, () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestApp();
    await indexesBuilt(s);
  });
  afterAll(() => s.stop());

  it('has weekly partitions from now to two weeks ahead and a default one, and no legacy partition', async () => {
    const parts = await listEventPartitions(s.database.db);
    expect(parts.map((p) => p.name)).not.toContain('events_legacy');
    expect(parts.filter((p) => p.isDefault).map((p) => p.name)).toEqual(['events_default']);
    const ranged = parts.filter((p) => !p.isDefault);
    for (let i = 1; i < ranged.length; i++) expect(ranged[i]?.from?.getTime()).toBe(ranged[i - 1]?.to?.getTime());
    const horizon = weekStart(new Date()).getTime() + 3 * 7 * DAY;
    expect(ranged.at(-1)?.to?.getTime()).toBe(horizon);
  });

  it('writes events into the partition of their arrival week, never the default one', async () => {
    const incident = await createIncident(s);
    const ids = await ingest(s, incident.id, ['a', 'b', 'c']);
    const parts = await partitionOf(s.database.db, incident.id);
    expect([...parts.keys()].sort()).toEqual([...ids].sort());
    for (const part of parts.values()) expect(part).toMatch(/^events_\d{8}(_\d{6})?$/);
  });

  it('reads only partitions that arrived after the incident was created (pruned when the query is planned)', async () => {
    const db = s.database.db;
    // A partition of arrivals that ended well before any incident here was made (a hole after it is harmless).
    const first = (await listEventPartitions(db)).find((p) => !p.isDefault);
    if (!first?.from) throw new Error('no first partition');
    const to = new Date(first.from.getTime() - 8 * DAY).toISOString();
    const from = new Date(first.from.getTime() - 30 * DAY).toISOString();
    await sql
      .raw(`create table events_test_old partition of events for values from ('${from}') to ('${to}')`)
      .execute(db);
    const incident = await createIncident(s);
    await ingest(s, incident.id, ['one']);
    const row = await db
      .selectFrom('incidents')
      .select('created_at')
      .where('id', '=', incident.id)
      .executeTakeFirstOrThrow();
    // The page query exactly as Warroom sends it, captured, then explained with the same parameters.
    const captured: CompiledQuery[] = [];
    const spy = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: s.database.url, max: 1 }) }),
      log: (e) => {
        if (e.level === 'query') captured.push(e.query);
      },
    });
    try {
      const rows = await listEvents(spy, {
        incident_id: incident.id,
        incident_created_at: row.created_at,
        limit: 10,
        order: { by: 'newest' },
      });
      expect(rows).toHaveLength(1);
    } finally {
      await spy.destroy();
    }
    const q = captured[0];
    if (!q) throw new Error('no query captured');
    const client = new pg.Client({ connectionString: s.database.url });
    await client.connect();
    try {
      const plan = await client.query<{ 'QUERY PLAN': string }>(`explain ${q.sql}`, [...q.parameters]);
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toMatch(/events_\d{8}/);
      expect(text).not.toContain('events_test_old');
    } finally {
      await client.end();
      await sql`drop table events_test_old`.execute(db);
    }
  });
});

describe(`upgrading a database that holds events (${DB_LABEL})`, () => {
  let scratch: { url: string; drop(): Promise<void> } | undefined;
  let s: TestServer | undefined;
  afterAll(async () => {
    await s?.stop();
    await scratch?.drop();
  });

  it('keeps the old events as one legacy partition, readable, paged and tailed with the new ones', async () => {
    if (!POSTGRES_URL) throw new Error('no database server for this suite');
    scratch = await createScratchDatabase(POSTGRES_URL);
    const db = poolFor(scratch.url);
    let incidentId: string;
    const oldIds: string[] = [];
    try {
      const to = await createMigrator(db).migrateTo(LAST_UNPARTITIONED);
      expect(to.error).toBeUndefined();
      const inc = await sql<{ id: string }>`
        insert into incidents (title, severity, source) values ('Checkout is slow', 'high', 'test') returning id`.execute(
        db,
      );
      incidentId = inc.rows[0]?.id ?? '';
      for (let i = 0; i < 5; i++) {
        const r = await sql<{ id: string }>`
          insert into events (incident_id, event_type, message, level, source, "timestamp")
          values (${incidentId}, 'log', ${`PostgreSQL connection pool exhausted (active=${i}, max=100)`}, 'error', 'orders-db',
                  now() - make_interval(mins => ${10 - i}))
          returning id`.execute(db);
        oldIds.push(r.rows[0]?.id ?? '');
      }
      await migrateToLatest(db);
      const parts = await listEventPartitions(db);
      const legacy = parts.find((p) => p.name === 'events_legacy');
      expect(legacy).toMatchObject({ from: null, isDefault: false });
      const where = await partitionOf(db, incidentId);
      for (const id of oldIds) expect(where.get(id)).toBe('events_legacy');
      // The sequence now belongs to the partitioned table: dropping the legacy partition must not take it along.
      const owner = await sql<{ owner: string }>`
        select d.refobjid::regclass::text as owner from pg_depend d
        where d.objid = 'events_seq_seq'::regclass and d.deptype = 'a'`.execute(db);
      expect(owner.rows[0]?.owner).toBe('events');
    } finally {
      await db.destroy();
    }

    s = await startTestApp({}, { databaseUrl: scratch.url });
    await indexesBuilt(s);
    const newIds = await ingest(
      s,
      incidentId,
      Array.from({ length: 5 }, (_, i) => `PostgreSQL connection pool exhausted (active=${90 + i}, max=100)`),
    );
    const paged = await followAll(s, `/api/ingest/events/${incidentId}?limit=3`);
    expect(paged).toHaveLength(10);
    expect(new Set(paged)).toEqual(new Set([...oldIds, ...newIds]));
    // Newest first: the new events (timestamped now) before the old ones (timestamped minutes ago).
    expect(new Set(paged.slice(0, 5))).toEqual(new Set(newIds));
    // A tail in arrival order: old events first (written before the partitioning), then the new ones.
    const tail = await s.api(`/api/ingest/events/${incidentId}?after=start&limit=100`);
    const tailed = Event.array()
      .parse(await tail.json())
      .map((e) => e.id);
    expect(tailed.slice(0, 5)).toEqual(oldIds);
    expect(new Set(tailed.slice(5))).toEqual(new Set(newIds));
  });

  it('drops whole expired partitions, legacy included, and the incident keeps its analysis', async () => {
    if (!s) throw new Error('previous test did not start the server');
    const db = s.database.db;
    const incidentId = (
      await db.selectFrom('incidents').select('id').where('title', '=', 'Checkout is slow').executeTakeFirstOrThrow()
    ).id;
    const analysed = Incident.parse(
      await (await s.api(`/api/incidents/${incidentId}/analyze`, { method: 'POST' })).json(),
    );
    expect(analysed.root_cause).toMatch(/connection pool/i);

    // Thirty-five days on, with a 14-day retention: every partition of what arrived until now has expired.
    const later = new Date(Date.now() + 35 * DAY);
    const r = await maintainEventPartitions(db, { now: later, retentionDays: 14 });
    expect(r.ran).toBe(true);
    expect(r.dropped).toContain('events_legacy');
    const left = await listEventPartitions(db);
    for (const p of left) if (!p.isDefault) expect(p.to?.getTime()).toBeGreaterThan(later.getTime() - 14 * DAY);
    const events = await s.api(`/api/ingest/events/${incidentId}`);
    expect(Event.array().parse(await events.json())).toEqual([]);

    const after = Incident.parse(await (await s.api(`/api/incidents/${incidentId}`)).json());
    expect(after.root_cause).toBe(analysed.root_cause);
    expect(after.ai_summary).toBe(analysed.ai_summary);
    // Analysing again finds no events: what was concluded from the dropped ones is kept, not replaced by nothing.
    const again = Incident.parse(
      await (await s.api(`/api/incidents/${incidentId}/analyze`, { method: 'POST' })).json(),
    );
    expect(again.root_cause).toBe(analysed.root_cause);
    const metrics = await (await s.api('/metrics')).text();
    expect(metrics).toMatch(/analysis_runs_total\{trigger="manual",outcome="kept"\} 1/);

    // New events still go in (the partitions made for "later" include this week's successors).
    const n = await ingest(s, incidentId, ['still here']);
    expect(n).toHaveLength(1);
  });
});

describe(`the default partition and concurrent maintenance (${DB_LABEL})`, () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestApp();
    await indexesBuilt(s);
  });
  afterAll(() => s.stop());

  it('moves rows the default partition caught into the partition made for them', async () => {
    const incident = await createIncident(s);
    const db = s.database.db;
    // An arrival six weeks ahead: past every partition made so far, so only the default partition takes it.
    const ahead = new Date(Date.now() + 42 * DAY);
    const { rows } = await sql<{ id: string; part: string }>`
      insert into events (incident_id, event_type, message, level, source, "timestamp", received_at)
      values (${incident.id}, 'log', 'from the future', 'info', 'clock', now(), ${ahead.toISOString()}::timestamptz)
      returning id, tableoid::regclass::text as part`.execute(db);
    expect(rows[0]?.part).toBe('events_default');
    const r = await maintainEventPartitions(db, { now: ahead });
    expect(r.moved).toBe(1);
    const where = await partitionOf(db, incident.id);
    expect(where.get(rows[0]?.id ?? '')).toMatch(/^events_\d{8}$/);
    const inDefault = await sql<{ n: string }>`select count(*) as n from events_default`.execute(db);
    expect(Number(inDefault.rows[0]?.n)).toBe(0);
  });

  it('lets several instances maintain at once: one works, none fails, no range is made twice', async () => {
    const far = new Date(Date.now() + 120 * DAY);
    const dbs = [poolFor(s.database.url), poolFor(s.database.url), poolFor(s.database.url)];
    try {
      const results = await Promise.all(dbs.map((db) => maintainEventPartitions(db, { now: far })));
      expect(results.some((r) => r.ran)).toBe(true);
      const made = results.flatMap((r) => r.created);
      expect(new Set(made).size).toBe(made.length);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
    }
    const ranged = (await listEventPartitions(s.database.db)).filter((p) => !p.isDefault);
    for (let i = 1; i < ranged.length; i++) expect(ranged[i]?.from?.getTime()).toBe(ranged[i - 1]?.to?.getTime());
    expect(ranged.at(-1)?.to?.getTime()).toBe(weekStart(far).getTime() + 3 * 7 * DAY);
  });

  it('counts dropped partitions in /metrics', async () => {
    const metrics = await (await s.api('/metrics')).text();
    expect(metrics).toMatch(/^warroom_event_partitions_dropped_total 0$/m);
  });
});
