// Query functions for the timeline_entries table.
import type { Kysely } from 'kysely';
import type { TimelineEntryType } from '../../schema/index.js';
import type { Database, TimelineRow } from './types.js';

export interface NewTimelineEntry {
  incident_id: string;
  entry_type: TimelineEntryType;
  title: string;
  description?: string;
  actor: string;
  metadata?: Record<string, unknown>;
}

export async function insertTimelineEntry(db: Kysely<Database>, e: NewTimelineEntry): Promise<TimelineRow> {
  return db
    .insertInto('timeline_entries')
    .values({
      incident_id: e.incident_id,
      entry_type: e.entry_type,
      title: e.title,
      description: e.description ?? '',
      actor: e.actor,
      metadata: JSON.stringify(e.metadata ?? {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Oldest first: a timeline reads top to bottom. `last` keeps only the newest N (still oldest first). */
export async function listTimeline(
  db: Kysely<Database>,
  incidentId: string,
  opts: { last?: number } = {},
): Promise<TimelineRow[]> {
  const q = db.selectFrom('timeline_entries').selectAll().where('incident_id', '=', incidentId);
  if (opts.last === undefined) return q.orderBy('seq', 'asc').execute();
  const newest = await q.orderBy('seq', 'desc').limit(opts.last).execute();
  return newest.reverse();
}
