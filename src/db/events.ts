// Query functions for the events table.
import { CompiledQuery, sql, type Kysely } from 'kysely';
import { copyStatement, copyText } from './copy-statements.js';
import { ARRIVAL_MARGIN_MS } from './event-partitions.js';
import { nameStatement } from './named-statements.js';
import type { Database, EventRow } from './types.js';
import { uuidV7 } from './uuid-v7.js';

/** One event as the batch insert takes it: every column but `seq`, the timestamp as an ISO-8601 string. */
export interface EventInsert {
  id: string;
  incident_id: string;
  event_type: string;
  message: string;
  level: string;
  source: string;
  metadata: Record<string, unknown>;
  timestamp: string;
}

// `xact` is the column's default, computed once for the statement (an InitPlan) rather than once a row: the same
// value, 8% more rows/s (bench:schema-style runs, docs/performance.md).
const INSERT_FROM_JSON = `insert into events (id, incident_id, event_type, message, level, source, metadata, "timestamp", actor,
  xact)
select id, incident_id, event_type, message, level, source, metadata, "timestamp", $2::text,
  (select pg_current_xact_id()::text::bigint)
from json_to_recordset($1::json) as r(id uuid, incident_id uuid, event_type text, message text, level text,
  source text, metadata jsonb, "timestamp" timestamptz)`;

/**
 * The whole batch as ONE statement with ONE parameter for the rows: a JSON array, expanded by json_to_recordset.
 * Against a multi-row VALUES list (3,500 parameters for 500 events) this spares building and binding thousands of
 * parameters on both sides, and it returns only `id, seq`: the caller already holds every other column, so no row
 * comes back to be parsed (dates and JSON included). Measured in bench/ (docs/performance.md).
 *
 * This form also checks that every incident the batch names exists: `$3` is the batch's distinct incident ids, and
 * unless all of them are found (one index lookup each, once per statement) nothing is written and no row returns.
 * The events table has no foreign key, whose per-row trigger and row lock on the incident cost a fifth of batch
 * ingest (migrations/2026-11-30T1000_events_partitioned.ts).
 */
export const INSERT_EVENTS_SQL = `${INSERT_FROM_JSON}
where (select count(*) from incidents where id = any($3::uuid[])) = cardinality($3::uuid[])
returning id, seq`;

/**
 * The same without the check, for a small batch whose incidents are all known to exist (KnownIncidents): incidents
 * are never deleted, so one that existed still does. For one event the check costs as much as the insert (measured:
 * 3,700 single-event statements/s with it against 4,800 without, 16 connections).
 */
export const INSERT_KNOWN_EVENTS_SQL = `${INSERT_FROM_JSON}
returning id, seq`;

/**
 * A batch of at least COPY_MIN_EVENTS events whose incidents are all known to exist skips the check and is written by
 * COPY, PostgreSQL's bulk-load path: two statements, this one taking
 * the batch's `seq` values (ascending, $1 of them) and COPY_EVENTS_SQL writing the rows with them. Measured straight
 * through `pg` (docs/performance.md, 2026-12-02 "COPY"): the two cost PostgreSQL about half the CPU of the INSERT
 * above per 500-event batch. A seq taken by a COPY that then fails is a gap, as for any insert that rolls back.
 * `xact` and `received_at` take their column defaults, computed by the COPY's own transaction.
 */
export const NEXT_SEQS_SQL = `select string_agg(seq::text, ',' order by seq) as seqs
from (select nextval('events_seq_seq') as seq from generate_series(1, $1::int)) as taken`;

/**
 * The smallest batch written by COPY. Below it the one INSERT wins: COPY's two round trips and its simple-query
 * parse cost more than they save. Measured straight through `pg`, 4 connections, batches/s COPY / INSERT: 0.64 for
 * 1 event, 0.86 for 20, 1.04 for 50, 1.16 for 100, 1.39 for 500 (docs/performance.md, 2026-12-02 "COPY").
 */
export const COPY_MIN_EVENTS = 50;

/** The COPY of known incidents' events (./copy-statements.ts); its data: copyEventRows. */
export const COPY_EVENTS_SQL = copyStatement(
  `copy events (id, seq, incident_id, event_type, message, level, source, metadata, "timestamp", actor) from stdin`,
);

/** `rows` as COPY_EVENTS_SQL's data: one line each, `seqs[i]` as row i's seq, `actor` on every row. */
export function copyEventRows(rows: readonly EventInsert[], seqs: readonly string[], actor: string | null): string {
  const by = copyText(actor);
  let data = '';
  rows.forEach((r, i) => {
    data += `${r.id}\t${seqs[i] ?? ''}\t${r.incident_id}\t${copyText(r.event_type)}\t${copyText(r.message)}\t${copyText(
      r.level,
    )}\t${copyText(r.source)}\t${copyText(JSON.stringify(r.metadata))}\t${r.timestamp}\t${by}\n`;
  });
  return data;
}

// The INSERT and the seqs run as named statements (src/db/named-statements.ts): fixed text, and a plan that rows
// cannot change.
nameStatement(INSERT_EVENTS_SQL);
nameStatement(INSERT_KNOWN_EVENTS_SQL);
nameStatement(NEXT_SEQS_SQL);

/**
 * Incident ids this process has seen exist, the most recent `capacity` of them: what lets ingest skip the existence
 * check. Only ids the database confirmed go in (an insert that passed the check, an incident made here); nothing
 * ever needs to come out, since incidents are never deleted.
 */
export class KnownIncidents {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.ids.has(id)) return;
    if (this.ids.size >= this.capacity) {
      // Sets iterate in insertion order: the oldest goes.
      const oldest = this.ids.values().next();
      if (!oldest.done) this.ids.delete(oldest.value);
    }
    this.ids.add(id);
  }
}

/**
 * Ids are made here, so results are matched by id, not by order: UUIDv7 (time-ordered, src/db/uuid-v7.ts), so a
 * batch appends to the primary key's B-tree instead of touching a random leaf per row.
 */
export const newEventId = (): string => uuidV7();

/**
 * Writes all rows atomically: with one INSERT, or, for at least COPY_MIN_EVENTS rows whose incidents `known` all
 * holds, with one COPY after a statement that takes their seqs (a seq taken by a COPY that then fails is a gap);
 * returns each row's `seq` in the order of `rows`, or `null` when an incident the rows name does
 * not exist (then nothing was written). `rowsJson` gives `JSON.stringify(rows)`, the INSERT's rows parameter (a COPY
 * does not call it): passed in because the caller may need the same text again (the ingest response is exactly these
 * rows), so it should keep what it made. With `known`, incidents it holds are not checked again, and those checked are added to it.
 */
export async function insertEvents(
  db: Kysely<Database>,
  rows: readonly EventInsert[],
  rowsJson: () => string = () => JSON.stringify(rows),
  /** Who ingested the batch (the API key's name), or null while the server is open. */
  actor: string | null = null,
  known?: KnownIncidents,
): Promise<string[] | null> {
  if (rows.length === 0) return [];
  const incidentIds = [...new Set(rows.map((r) => r.incident_id))];
  const unchecked = known !== undefined && incidentIds.every((id) => known.has(id));
  if (unchecked && rows.length >= COPY_MIN_EVENTS) return copyEvents(db, rows, actor);
  const { rows: inserted } = await db.executeQuery<{ id: string; seq: string }>(
    unchecked
      ? CompiledQuery.raw(INSERT_KNOWN_EVENTS_SQL, [rowsJson(), actor])
      : CompiledQuery.raw(INSERT_EVENTS_SQL, [rowsJson(), actor, incidentIds]),
  );
  if (inserted.length === 0) return null;
  // Only once the transaction that checked them commits are they known to everyone; inside an uncommitted
  // transaction (an idempotent request, alert processing) they may still roll back, so they are not remembered.
  if (!unchecked && known && !db.isTransaction) for (const id of incidentIds) known.add(id);
  // PostgreSQL returns the rows in the order json_to_recordset produced them, though it does not promise to: check
  // that in one pass of string compares, and match by id (hashing 500 fresh strings) only if it ever fails.
  if (inserted.length === rows.length && inserted.every((r, i) => r.id === rows[i]?.id)) {
    return inserted.map((r) => String(r.seq));
  }
  const seqById = new Map<string, string>();
  for (const r of inserted) seqById.set(r.id, String(r.seq));
  return rows.map((r) => {
    const seq = seqById.get(r.id);
    if (seq === undefined) throw new Error(`insert returned no row for event ${r.id}`);
    return seq;
  });
}

/** Writes rows of incidents known to exist with NEXT_SEQS_SQL and COPY_EVENTS_SQL; returns their seqs in order. */
async function copyEvents(db: Kysely<Database>, rows: readonly EventInsert[], actor: string | null): Promise<string[]> {
  const { rows: taken } = await db.executeQuery<{ seqs: string | null }>(
    CompiledQuery.raw(NEXT_SEQS_SQL, [rows.length]),
  );
  const seqs = taken[0]?.seqs?.split(',') ?? [];
  if (seqs.length !== rows.length) throw new Error(`took ${seqs.length} event seqs for ${rows.length} events`);
  await db.executeQuery(CompiledQuery.raw(COPY_EVENTS_SQL, [copyEventRows(rows, seqs, actor)]));
  return seqs;
}

/**
 * The earliest arrival an event of an incident created at `createdAt` can have: a bound on `received_at` that lets
 * PostgreSQL skip, at planning, every partition older than the incident (src/db/event-partitions.ts).
 */
export const arrivedSince = (createdAt: Date): Date => new Date(createdAt.getTime() - ARRIVAL_MARGIN_MS);

/**
 * insertEvents for incidents known to exist (read or made in the same transaction, as alert processing does): from
 * COPY_MIN_EVENTS rows by COPY, with no existence check (the caller's read is the check), fewer by the checked
 * INSERT, whose refusal would be a bug, thrown.
 */
export async function insertEventsOfKnownIncidents(
  db: Kysely<Database>,
  rows: readonly EventInsert[],
): Promise<string[]> {
  if (rows.length >= COPY_MIN_EVENTS) return copyEvents(db, rows, null);
  const seqs = await insertEvents(db, rows);
  if (seqs === null) throw new Error('events refused: an incident they name does not exist');
  return seqs;
}

/**
 * The oldest transaction still running, as decimal text (`pg_snapshot_xmin` of a snapshot taken now). Every event
 * written by an older transaction has committed (or never will), so a read that starts after this call sees all of
 * them; an event it cannot see was written by this transaction or a younger one.
 */
export async function oldestRunningTransaction(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ xmin: string }>`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`.execute(
    db,
  );
  const xmin = rows[0]?.xmin;
  if (xmin === undefined) throw new Error('pg_current_snapshot returned no row');
  return xmin;
}

/**
 * A column as ISO-8601 UTC text with microseconds, as a cursor carries it: a JS Date would round PostgreSQL's
 * microseconds away, and a keyset compared with a rounded value skips rows.
 */
export const microIso = (column: string) =>
  sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * The first whole millisecond at or after the instant ISO-8601 `iso` names. Event timestamps are stored to the
 * millisecond (src/domain/ingest.ts), while a filter may name a finer instant (`…00.9995Z`) and Date.parse drops the
 * digits past the third: `since` then took in an event before it, and `before` left out one before it (a contract
 * drill, 2026-12-02). For a whole millisecond t and any instant x, t >= x iff t >= ceil(x), and t < x iff t < ceil(x).
 */
export function ceilToMs(iso: string): Date {
  const ms = Date.parse(iso);
  const finer = /\.\d{3}(\d+)/.exec(iso)?.[1];
  return new Date(finer !== undefined && /[1-9]/.test(finer) ? ms + 1 : ms);
}

/** Which events of one incident, and in what order; `limit` rows at most. */
export interface EventsQuery {
  incident_id: string;
  /** When the incident was created: partitions of arrivals before it cannot hold its events and are not read. */
  incident_created_at: Date;
  /** ISO-8601: only events strictly older than this. */
  before?: string | undefined;
  /** ISO-8601: only events at or after this. */
  since?: string | undefined;
  /** Only events of this level / type (a filter within the same keyset order: the cursor rules do not change). */
  level?: string | undefined;
  event_type?: string | undefined;
  limit: number;
  /**
   * `newest`: by (timestamp desc, seq desc), continuing strictly below `below` when given.
   * `arrival`: by (xact, seq) ascending, only events after `after` there (the order they were written, any
   *   timestamp), and only those of transactions older than every transaction still running: one still running may
   *   hold lower seqs, and must sort after what this page returns (migrations/2026-11-29T1400_events_xact.ts).
   *   With `visible`, every event after `after` this read can see, none held back (a catch-up whose reader hears
   *   later commits live; see EventPageInput.catch_up).
   */
  order:
    | { by: 'newest'; below?: { timestamp: string; seq: string } }
    | { by: 'arrival'; after: { xact: string; seq: string }; visible?: boolean };
}

/**
 * An event row with its timestamp as microsecond text (`page_t`), its seq and transaction id as decimal text
 * (`page_s`, `page_x`: as text, so no driver setting can turn them into JS numbers, exact only to 2^53), for the page's last cursor.
 */
export type PagedEventRow = EventRow & { page_t: string; page_s: string; page_x: string };

/** One page of an incident's events (`events_incident_ts_idx` serves the newest-first order and its keyset). */
export async function listEvents(db: Kysely<Database>, f: EventsQuery): Promise<PagedEventRow[]> {
  let q = db
    .selectFrom('events')
    .selectAll()
    .select([
      microIso('timestamp').as('page_t'),
      sql<string>`seq::text`.as('page_s'),
      sql<string>`coalesce(xact, 0)::text`.as('page_x'),
    ])
    .where('incident_id', '=', f.incident_id)
    .where('received_at', '>=', arrivedSince(f.incident_created_at));
  if (f.before) q = q.where('timestamp', '<', ceilToMs(f.before));
  if (f.since) q = q.where('timestamp', '>=', ceilToMs(f.since));
  if (f.level) q = q.where('level', '=', f.level);
  if (f.event_type) q = q.where('event_type', '=', f.event_type);
  if (f.order.by === 'arrival') {
    const { xact, seq } = f.order.after;
    // coalesce: events written before the column existed have no id and sort first (they committed first).
    q = q.where(sql<boolean>`(coalesce(xact, 0), seq) > (${xact}::bigint, ${seq}::bigint)`);
    if (!f.order.visible) {
      q = q.where(sql<boolean>`coalesce(xact, 0) < pg_snapshot_xmin(pg_current_snapshot())::text::bigint`);
    }
    return q
      .orderBy(sql`coalesce(xact, 0)`, 'asc')
      .orderBy('seq', 'asc')
      .limit(f.limit)
      .execute();
  }
  const below = f.order.below;
  // A row comparison, so one index range scan continues exactly after the (timestamp, seq) pair, ties included.
  if (below) q = q.where(sql<boolean>`("timestamp", seq) < (${below.timestamp}::timestamptz, ${below.seq}::bigint)`);
  return q.orderBy('timestamp', 'desc').orderBy('seq', 'desc').limit(f.limit).execute();
}
