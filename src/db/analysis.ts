// Queries that feed the analyzer (an incident's events and history, comparable past incidents) and store its result.
import { sql, type Kysely } from 'kysely';
import { arrivedSince } from './events.js';
import { prepare } from './prepared.js';
import type { Database, EventRow, IncidentRow, TimelineRow } from './types.js';

/** The analyzer looks at the newest events only; an incident rarely needs more to show its cause. */
export const ANALYSIS_EVENT_LIMIT = 10_000;
/**
 * And at most this many bytes of their messages (UTF-8, as stored), newest first; the newest event is always read. The
 * template miner's cost grows with the text it reads: 10,000 single-line messages of 16,000 characters (the API's
 * most) took 26 s of one core and 1.77 GB of peak memory, past the analysis deadline under load (docs/performance.md,
 * 2026-12-02). 16 MiB is 10,000 messages of 1,677 bytes, or 1,048 of the longest: enough to see an incident's start
 * through hundreds of long traces (8 MiB cut a review's 900-event incident before its cause). Cutting each message
 * instead merged different failures that shared a long head (review, 2026-12-02).
 */
export const ANALYSIS_TEXT_BUDGET_BYTES = 16 * 1024 * 1024;
/** How many recent analysed incidents similarity search considers. */
export const PAST_INCIDENT_LIMIT = 500;

/**
 * The incident's newest events, oldest first: at most ANALYSIS_EVENT_LIMIT, and no more than fit in `textBudget` bytes
 * of message (counted newest first, the one that crosses it left out, unless it is the newest). octet_length reads a
 * stored value's size without decompressing it.
 */
export async function eventsForAnalysis(
  db: Kysely<Database>,
  incident: Pick<IncidentRow, 'id' | 'created_at'>,
  textBudget = ANALYSIS_TEXT_BUDGET_BYTES,
): Promise<EventRow[]> {
  const newest = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('events')
        .selectAll()
        // Running total, newest first: (timestamp, seq) is unique, so the default frame ends at this row.
        .select(sql<string>`sum(octet_length(message)) over (order by timestamp desc, seq desc)`.as('text_through'))
        .where('incident_id', '=', incident.id)
        .where('received_at', '>=', arrivedSince(incident.created_at))
        .orderBy('timestamp', 'desc')
        .orderBy('seq', 'desc')
        .limit(ANALYSIS_EVENT_LIMIT)
        .as('newest'),
    )
    .selectAll()
    .where((eb) =>
      eb.or([eb(sql`text_through - octet_length(message)`, '=', 0), eb('text_through', '<=', String(textBudget))]),
    )
    .orderBy('timestamp', 'desc')
    .orderBy('seq', 'desc')
    .execute();
  return newest.reverse().map(({ text_through: _counted, ...event }) => event);
}

export async function statusHistory(db: Kysely<Database>, incidentId: string): Promise<TimelineRow[]> {
  return db
    .selectFrom('timeline_entries')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('entry_type', '=', 'status_change')
    .orderBy('seq', 'asc')
    .execute();
}

export interface PastIncidentRow {
  id: string;
  title: string;
  description: string;
  root_cause: string | null;
  analysis_category: string | null;
  analysis_templates: string[];
  completed_actions: string[];
}

export async function pastIncidents(db: Kysely<Database>): Promise<PastIncidentRow[]> {
  const rows = await db
    .selectFrom('incidents')
    .select(['id', 'title', 'description', 'root_cause', 'analysis_category', 'analysis_templates'])
    .where('root_cause', 'is not', null)
    .orderBy('created_at', 'desc')
    .limit(PAST_INCIDENT_LIMIT)
    .execute();
  if (rows.length === 0) return [];
  const done = await db
    .selectFrom('actions')
    .select(['incident_id', 'title'])
    .where('status', '=', 'completed')
    .where(
      'incident_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('priority')
    .orderBy('seq')
    .execute();
  const byIncident = new Map<string, string[]>();
  for (const a of done) byIncident.set(a.incident_id, [...(byIncident.get(a.incident_id) ?? []), a.title]);
  return rows.map((r) => ({ ...r, completed_actions: byIncident.get(r.id) ?? [] }));
}

export interface StoredAnalysis {
  ai_summary: string;
  root_cause: string;
  suggested_actions: string[];
  category: string | null;
  templates: string[];
  /** src/analysis/conclusion.ts */
  conclusion: string;
}

const storeFields = prepare(
  (
    db,
    id: string,
    summary: string,
    rootCause: string,
    suggested: string,
    category: string | null,
    templates: string,
    conclusion: string,
    at: Date,
  ) =>
    db
      .updateTable('incidents')
      .set({
        ai_summary: summary,
        root_cause: rootCause,
        suggested_actions: suggested,
        analysis_category: category,
        analysis_templates: templates,
        analysis_conclusion: conclusion,
        updated_at: at,
      })
      .where('id', '=', id)
      .returningAll(),
  [
    '__id__',
    '__summary__',
    '__root_cause__',
    '__suggested__',
    '__category__',
    '__templates__',
    '__conclusion__',
    new Date(0),
  ] as const,
);

export async function storeAnalysisFields(
  db: Kysely<Database>,
  incidentId: string,
  a: StoredAnalysis,
): Promise<IncidentRow> {
  const [row] = await storeFields(
    db,
    incidentId,
    a.ai_summary,
    a.root_cause,
    JSON.stringify(a.suggested_actions),
    a.category,
    JSON.stringify(a.templates),
    a.conclusion,
    new Date(),
  );
  if (!row) throw new Error(`incident ${incidentId} vanished while its analysis was stored`);
  return row;
}
