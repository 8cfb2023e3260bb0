// Query functions for the incidents table. `db` first, so a transaction passes straight through.
import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql, type Kysely, type Updateable } from 'kysely';
import type { CreateIncidentInput, IncidentStatus, Severity } from '../../schema/index.js';
// Not from schema/index.js: this module is in the analysis worker's bundle, which must not carry Zod.
import { ACTIVE_INCIDENT_STATUSES } from '../../schema/incident-statuses.js';
import { microIso } from './events.js';
import { nameStatement } from './named-statements.js';
import { prepare } from './prepared.js';
import { wellFormed } from '../text-cut.js';
import type { Database, IncidentRow, IncidentsTable, TimelineRow } from './types.js';

/** The title of the timeline entry every new incident starts with (metrics count creations by it). */
export const INCIDENT_CREATED_TITLE = 'Incident created';

/** One incident to insert, with who created it (for its first timeline entry). */
export interface IncidentInsert {
  input: CreateIncidentInput;
  /** Who created it, for the timeline entry: the API key's name, or the incident's source on an open server. */
  actor: string;
}

/** An incident ready for the insert statement: its id (made here) and its element of the statement's JSON array. */
export interface IncidentRowJson {
  id: string;
  json: string;
}

/** What inserting an incident writes: the incident and its "Incident created" timeline entry. */
export interface InsertedIncident {
  incident: IncidentRow;
  entry: TimelineRow;
}

/**
 * Inserts incidents and their "Incident created" timeline entries in ONE statement (two data-modifying CTEs), the
 * rows passed as one JSON array ($1) and expanded by json_to_recordset, as the event batch insert does
 * (src/db/events.ts): atomic without a transaction, one round trip for any number of incidents. Ids are made by the
 * caller, so results are matched by id. Each incident is stamped with clock_timestamp() in `r` (a CTE with a volatile
 * function is computed once per row, never inlined), so creation times within a statement follow the order given,
 * rather than all being the transaction's start; the clock's resolution can still tie neighbours (a microsecond on
 * PostgreSQL), and lists break ties by id. updated_at starts equal to created_at. $2 is the entry's title.
 */
const INSERT_INCIDENTS_SQL = `with r as (
  select r.*, clock_timestamp() as t
  from json_to_recordset($1::json) as r(id uuid, title text, description text, severity text, source text,
    tags text[], metadata jsonb, actor text)
), i as (
  insert into incidents (id, title, description, severity, source, tags, metadata, created_at, updated_at)
  select id, title, description, severity, source, tags, metadata, t, t from r
  returning *
), e as (
  insert into timeline_entries (incident_id, entry_type, title, description, actor)
  select i.id, 'system_event', $2::text, i.severity || ' incident "' || i.title || '" reported by ' || i.source, r.actor
  from i join r on r.id = i.id
  returning *
)
select i.*, e.id as t_id, e.entry_type as t_entry_type, e.title as t_title, e.description as t_description,
  e.actor as t_actor, e.metadata as t_metadata, e.timestamp as t_timestamp, e.seq as t_seq
from i join e on e.incident_id = i.id`;
// Fixed text with a plan no row changes: PostgreSQL may parse and plan it once per connection.
nameStatement(INSERT_INCIDENTS_SQL);

/** Incidents by id with their "Incident created" entries, in the insert's row shape (for an insert in doubt). */
const FIND_INSERTED_SQL = `select i.*, e.id as t_id, e.entry_type as t_entry_type, e.title as t_title,
  e.description as t_description, e.actor as t_actor, e.metadata as t_metadata, e.timestamp as t_timestamp,
  e.seq as t_seq
from incidents i join timeline_entries e on e.incident_id = i.id and e.entry_type = 'system_event' and e.title = $2
where i.id = any($1::uuid[])`;

type InsertedRow = IncidentRow & {
  t_id: string;
  t_entry_type: string;
  t_title: string;
  t_description: string;
  t_actor: string;
  t_metadata: Record<string, unknown>;
  t_timestamp: Date;
  t_seq: string;
};

/**
 * Gives the incident an id and writes its row of the insert's JSON array. Text is made well-formed first (an
 * unpaired surrogate becomes U+FFFD, as `pg` did when these were parameters): the API refuses such text, but a title
 * Warroom builds from an alert could still hold one, and PostgreSQL's JSON input refuses it (22P02).
 */
export function incidentRowJson({ input, actor }: IncidentInsert): IncidentRowJson {
  const id = randomUUID();
  const json = JSON.stringify({
    id,
    title: wellFormed(input.title),
    description: wellFormed(input.description),
    severity: input.severity,
    source: wellFormed(input.source),
    tags: input.tags.map(wellFormed),
    metadata: input.metadata,
    actor: wellFormed(actor),
  });
  return { id, json };
}

function byIdOf(out: readonly InsertedRow[]): Map<string, InsertedIncident> {
  const byId = new Map<string, InsertedIncident>();
  for (const row of out) {
    const { t_id, t_entry_type, t_title, t_description, t_actor, t_metadata, t_timestamp, t_seq, ...incident } = row;
    byId.set(incident.id, {
      incident,
      entry: {
        id: t_id,
        incident_id: incident.id,
        entry_type: t_entry_type,
        title: t_title,
        description: t_description,
        actor: t_actor,
        metadata: t_metadata,
        timestamp: t_timestamp,
        seq: t_seq,
      },
    });
  }
  return byId;
}

/**
 * Inserts `rows` (from incidentRowJson) with one statement, atomically; returns what each wrote, in the order of
 * `rows`. Throws what the database throws; then nothing was written, unless the connection was lost after the
 * statement committed (findInsertedIncidents tells).
 */
export async function insertIncidentsWithEntries(
  db: Kysely<Database>,
  rows: readonly IncidentRowJson[],
): Promise<InsertedIncident[]> {
  if (rows.length === 0) return [];
  const json = `[${rows.map((r) => r.json).join(',')}]`;
  const { rows: out } = await db.executeQuery<InsertedRow>(
    CompiledQuery.raw(INSERT_INCIDENTS_SQL, [json, INCIDENT_CREATED_TITLE]),
  );
  const byId = byIdOf(out);
  return rows.map(({ id }) => {
    const inserted = byId.get(id);
    if (!inserted) throw new Error(`insert returned no row for incident ${id}`);
    return inserted;
  });
}

/** Those of `ids` that exist, with their "Incident created" entries, by id. */
export async function findInsertedIncidents(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<Map<string, InsertedIncident>> {
  const { rows } = await db.executeQuery<InsertedRow>(
    CompiledQuery.raw(FIND_INSERTED_SQL, [ids, INCIDENT_CREATED_TITLE]),
  );
  return byIdOf(rows);
}

/** Inserts one incident and its "Incident created" timeline entry (insertIncidentsWithEntries with one row). */
export async function insertIncidentWithEntry(
  db: Kysely<Database>,
  input: CreateIncidentInput,
  /** Who created it, for the timeline entry: the API key's name, or the incident's source on an open server. */
  actor: string = input.source,
): Promise<InsertedIncident> {
  const [inserted] = await insertIncidentsWithEntries(db, [incidentRowJson({ input, actor })]);
  if (!inserted) throw new Error('insert returned no row');
  return inserted;
}

const findById = prepare((db, id: string) => db.selectFrom('incidents').selectAll().where('id', '=', id), [
  '00000000-0000-4000-8000-000000000001',
] as const);

const findByIdLocked = prepare(
  (db, id: string) => db.selectFrom('incidents').selectAll().where('id', '=', id).forNoKeyUpdate(),
  ['00000000-0000-4000-8000-000000000001'] as const,
);

/**
 * `lock`: inside a transaction, lock the incident row FOR NO KEY UPDATE, the one lock order every writer follows
 * (the incident first, then its actions and timeline): writers of one incident queue on it, and nothing can
 * deadlock. NO KEY, because the key never changes: timeline inserts, whose foreign key check takes a KEY SHARE
 * lock on the incident, are not blocked by it (event inserts take no lock on it at all: src/db/events.ts).
 */
export async function findIncident(
  db: Kysely<Database>,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<IncidentRow | undefined> {
  return (await (opts.lock ? findByIdLocked : findById)(db, id))[0];
}

/** Which incidents, newest first by (created_at desc, id desc); `limit` rows at most. */
export interface IncidentsQuery {
  status?: IncidentStatus | undefined;
  severity?: Severity | undefined;
  source?: string | undefined;
  tag?: string | undefined;
  limit: number;
  offset: number;
  /** Continue strictly below this (created_at as microsecond ISO text, id). */
  below?: { createdAt: string; id: string } | undefined;
}

/** An incident row with `created_at` as microsecond text (`page_t`), for the cursor of the page's last row. */
export type PagedIncidentRow = IncidentRow & { page_t: string };

/**
 * A page of the incident list. With a tag, the page is read in order from incident_tags (its primary key holds each
 * tag's incidents newest first) and joined to incidents by id, so a tag on few or only old incidents reads those
 * and no others; without one, from the incidents' own newest-first index.
 */
export async function listIncidents(db: Kysely<Database>, f: IncidentsQuery): Promise<PagedIncidentRow[]> {
  const tag = f.tag === '' ? undefined : f.tag;
  // The page's order, and the keyset a cursor continues from: the tag table's copy of (created_at, id) when it leads.
  const [at, id] = tag === undefined ? ['incidents.created_at', 'incidents.id'] : ['t.created_at', 't.incident_id'];
  let q = db
    .selectFrom('incidents')
    .$if(tag !== undefined, (qb) =>
      qb.innerJoin('incident_tags as t', 't.incident_id', 'incidents.id').where('t.tag', '=', tag ?? ''),
    )
    .selectAll('incidents')
    .select(microIso('incidents.created_at').as('page_t'));
  if (f.status) q = q.where('incidents.status', '=', f.status);
  if (f.severity) q = q.where('incidents.severity', '=', f.severity);
  if (f.source) q = q.where('incidents.source', '=', f.source);
  const below = f.below;
  if (below) {
    q = q.where(sql<boolean>`(${sql.ref(at)}, ${sql.ref(id)}) < (${below.createdAt}::timestamptz, ${below.id}::uuid)`);
  }
  return q.orderBy(sql.ref(at), 'desc').orderBy(sql.ref(id), 'desc').limit(f.limit).offset(f.offset).execute();
}

export async function updateIncident(
  db: Kysely<Database>,
  id: string,
  patch: Updateable<IncidentsTable>,
): Promise<IncidentRow> {
  return db
    .updateTable('incidents')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The ids among `ids` that name no incident. */
export async function missingIncidentIds(db: Kysely<Database>, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  const found = await db.selectFrom('incidents').select('id').where('id', 'in', unique).execute();
  const have = new Set(found.map((r) => r.id));
  return unique.filter((id) => !have.has(id));
}

/**
 * Incidents not yet resolved or closed, counted by severity and status (for `warroom_incidents_open`, at every
 * scrape). Named as the active statuses, not as "not resolved or closed": the status index serves `in` but not
 * `not in`, which counted every incident ever made (166 ms at 1,000,000 incidents, docs/performance.md).
 */
export async function countUnresolvedIncidents(
  db: Kysely<Database>,
): Promise<Array<{ severity: string; status: string; count: number }>> {
  const rows = await db
    .selectFrom('incidents')
    .select(['severity', 'status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('status', 'in', ACTIVE_INCIDENT_STATUSES)
    .groupBy(['severity', 'status'])
    .execute();
  return rows.map((r) => ({ severity: r.severity, status: r.status, count: Number(r.n) }));
}
