// Query functions for the incidents table. `db` first, so a transaction passes straight through.
import { sql, type Kysely, type Updateable } from 'kysely';
import type { CreateIncidentInput, IncidentStatus, Severity } from '../../schema/index.js';
import { microIso } from './events.js';
import { prepare } from './prepared.js';
import type { Database, IncidentRow, IncidentsTable, TimelineRow } from './types.js';

/** The title of the timeline entry every new incident starts with (metrics count creations by it). */
export const INCIDENT_CREATED_TITLE = 'Incident created';

/**
 * Inserts the incident and its "Incident created" timeline entry in ONE statement (two data-modifying CTEs):
 * atomic without a transaction, and one round trip instead of four.
 */
const insertWithEntry = prepare(
  (
    db,
    title: string,
    description: string,
    severity: string,
    source: string,
    tags: string[],
    metadata: string,
    actor: string,
  ) =>
    db
      .with('i', (q) =>
        q
          .insertInto('incidents')
          .values({
            title,
            description,
            severity,
            source,
            tags,
            metadata,
          })
          .returningAll(),
      )
      .with('t', (q) =>
        q
          .insertInto('timeline_entries')
          .columns(['incident_id', 'entry_type', 'title', 'description', 'actor'])
          .expression((eb) =>
            eb
              .selectFrom('i')
              .select((_eb) => [
                'i.id',
                sql.lit('system_event').as('entry_type'),
                sql.lit(INCIDENT_CREATED_TITLE).as('title'),
                sql<string>`i.severity || ' incident "' || i.title || '" reported by ' || i.source`.as('description'),
                sql<string>`${actor}::text`.as('actor'),
              ]),
          )
          .returningAll(),
      )
      .selectFrom(['i', 't'])
      .selectAll('i')
      .select([
        't.id as t_id',
        't.entry_type as t_entry_type',
        't.title as t_title',
        't.description as t_description',
        't.actor as t_actor',
        't.metadata as t_metadata',
        't.timestamp as t_timestamp',
        't.seq as t_seq',
      ]),
  ['__title__', '__description__', '__severity__', '__source__', ['__tags__'], '__metadata__', '__actor__'] as const,
);

export async function insertIncidentWithEntry(
  db: Kysely<Database>,
  input: CreateIncidentInput,
  /** Who created it, for the timeline entry: the API key's name, or the incident's source on an open server. */
  actor: string = input.source,
): Promise<{ incident: IncidentRow; entry: TimelineRow }> {
  const [row] = await insertWithEntry(
    db,
    input.title,
    input.description,
    input.severity,
    input.source,
    input.tags,
    JSON.stringify(input.metadata),
    actor,
  );
  if (!row) throw new Error('insert returned no row');
  const { t_id, t_entry_type, t_title, t_description, t_actor, t_metadata, t_timestamp, t_seq, ...incident } = row;
  return {
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
  };
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

export async function listIncidents(db: Kysely<Database>, f: IncidentsQuery): Promise<PagedIncidentRow[]> {
  let q = db.selectFrom('incidents').selectAll().select(microIso('created_at').as('page_t'));
  if (f.status) q = q.where('status', '=', f.status);
  if (f.severity) q = q.where('severity', '=', f.severity);
  if (f.source) q = q.where('source', '=', f.source);
  // `@>` lets the GIN index on tags answer the filter.
  if (f.tag) q = q.where(sql<boolean>`tags @> array[${f.tag}]::text[]`);
  const below = f.below;
  if (below) q = q.where(sql<boolean>`(created_at, id) < (${below.createdAt}::timestamptz, ${below.id}::uuid)`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).offset(f.offset).execute();
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

/** Incidents not yet resolved or closed, counted by severity and status (for `warroom_incidents_open`). */
export async function countUnresolvedIncidents(
  db: Kysely<Database>,
): Promise<Array<{ severity: string; status: string; count: number }>> {
  const rows = await db
    .selectFrom('incidents')
    .select(['severity', 'status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('status', 'not in', ['resolved', 'closed'])
    .groupBy(['severity', 'status'])
    .execute();
  return rows.map((r) => ({ severity: r.severity, status: r.status, count: Number(r.n) }));
}
