// Query functions for the events table.
import type { Kysely } from 'kysely';
import type { ListEventsInput } from '../../schema/index.js';
import type { Database, EventRow, NewEventRow } from './types.js';

/** Writes all rows with ONE multi-row INSERT: a batch of 1000 is one round trip, not 1000. */
export async function insertEvents(db: Kysely<Database>, rows: NewEventRow[]): Promise<EventRow[]> {
  if (rows.length === 0) return [];
  return db.insertInto('events').values(rows).returningAll().execute();
}

export async function listEvents(db: Kysely<Database>, f: ListEventsInput): Promise<EventRow[]> {
  let q = db.selectFrom('events').selectAll().where('incident_id', '=', f.incident_id);
  if (f.before) q = q.where('timestamp', '<', new Date(f.before));
  if (f.since) q = q.where('timestamp', '>=', new Date(f.since));
  return q.orderBy('timestamp', 'desc').orderBy('seq', 'desc').limit(f.limit).execute();
}
