// Query functions for the events table.
import { randomUUID } from 'node:crypto';
import { CompiledQuery, type Kysely } from 'kysely';
import type { ListEventsInput } from '../../schema/index.js';
import type { Database, EventRow } from './types.js';

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

/**
 * The whole batch as ONE statement with ONE parameter: the rows as a JSON array, expanded by json_to_recordset.
 * Against a multi-row VALUES list (3,500 parameters for 500 events) this spares building and binding thousands of
 * parameters on both sides, and it returns only `id, seq`: the caller already holds every other column, so no row
 * comes back to be parsed (dates and JSON included). Measured in bench/ (docs/performance.md).
 */
export const INSERT_EVENTS_SQL = `insert into events (id, incident_id, event_type, message, level, source, metadata, "timestamp")
select id, incident_id, event_type, message, level, source, metadata, "timestamp"
from json_to_recordset($1::json) as r(id uuid, incident_id uuid, event_type text, message text, level text,
  source text, metadata jsonb, "timestamp" timestamptz)
returning id, seq`;

/** Ids are made here (random UUIDs, as the column default would), so results are matched by id, not by order. */
export const newEventId = (): string => randomUUID();

/** Writes all rows with ONE statement, atomically; returns each row's `seq` in the order of `rows`. */
export async function insertEvents(db: Kysely<Database>, rows: readonly EventInsert[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const statement = CompiledQuery.raw(INSERT_EVENTS_SQL, [JSON.stringify(rows)]);
  const { rows: inserted } = await db.executeQuery<{ id: string; seq: string }>(statement);
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

export async function listEvents(db: Kysely<Database>, f: ListEventsInput): Promise<EventRow[]> {
  let q = db.selectFrom('events').selectAll().where('incident_id', '=', f.incident_id);
  if (f.before) q = q.where('timestamp', '<', new Date(f.before));
  if (f.since) q = q.where('timestamp', '>=', new Date(f.since));
  return q.orderBy('timestamp', 'desc').orderBy('seq', 'desc').limit(f.limit).execute();
}
