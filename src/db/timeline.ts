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

/** The newest `last` entries of an incident's timeline, oldest first (a timeline reads top to bottom). */
export async function recentTimeline(db: Kysely<Database>, incidentId: string, last: number): Promise<TimelineRow[]> {
  return (await timelineSlice(db, incidentId, { limit: last, newestFirst: true })).reverse();
}

/**
 * Up to `limit` entries of one incident's timeline, in the order they were written (`seq` ascending) or, with
 * `newestFirst`, the reverse; `past` (a `seq`, decimal text) starts strictly past that entry in the same direction.
 * Served by the (incident_id, seq) index whichever way it reads. An entry committed while a reader pages can take a
 * `seq` below one already read (sequence values are drawn before commit), so a reader paging oldest first may not
 * see it; rooms push every new entry as it commits.
 */
export async function timelineSlice(
  db: Kysely<Database>,
  incidentId: string,
  opts: { limit: number; past?: string; newestFirst: boolean },
): Promise<TimelineRow[]> {
  let q = db.selectFrom('timeline_entries').selectAll().where('incident_id', '=', incidentId);
  if (opts.past !== undefined) q = q.where('seq', opts.newestFirst ? '<' : '>', opts.past);
  return q
    .orderBy('seq', opts.newestFirst ? 'desc' : 'asc')
    .limit(opts.limit)
    .execute();
}
