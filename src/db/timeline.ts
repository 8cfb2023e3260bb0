// Query functions for the timeline_entries table.
import type { Kysely } from 'kysely';
import type { TimelineEntryType } from '../../schema/index.js';
import { prepare } from './prepared.js';
import type { Database, TimelineRow } from './types.js';

export interface NewTimelineEntry {
  incident_id: string;
  entry_type: TimelineEntryType;
  title: string;
  description?: string;
  actor: string;
  metadata?: Record<string, unknown>;
}

const insertEntry = prepare(
  (db, incidentId: string, type: string, title: string, description: string, actor: string, metadata: string) =>
    db
      .insertInto('timeline_entries')
      .values({ incident_id: incidentId, entry_type: type, title, description, actor, metadata })
      .returningAll(),
  ['__incident__', '__type__', '__title__', '__description__', '__actor__', '__metadata__'] as const,
);

export async function insertTimelineEntry(db: Kysely<Database>, e: NewTimelineEntry): Promise<TimelineRow> {
  const [row] = await insertEntry(
    db,
    e.incident_id,
    e.entry_type,
    e.title,
    e.description ?? '',
    e.actor,
    JSON.stringify(e.metadata ?? {}),
  );
  if (!row) throw new Error('insert returned no row');
  return row;
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
