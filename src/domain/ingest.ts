// Event ingest: every referenced incident must exist, and a batch is written all or nothing in one statement.
import type { Kysely } from 'kysely';
import type { Event, IngestEventInput } from '../../schema/index.js';
import { FOREIGN_KEY_VIOLATION, sqlState } from '../db/errors.js';
import { insertEvents } from '../db/events.js';
import { missingIncidentIds } from '../db/incidents.js';
import { toEvent } from '../db/rows.js';
import type { Database } from '../db/types.js';
import { AppError } from './errors.js';

/**
 * One multi-row INSERT, which is atomic by itself: the happy path is a single round trip. The foreign key on
 * incident_id is the existence check; only when it fails do we look up which ids are missing, to name them.
 */
export interface Ingested {
  events: Event[];
  /** Each event's position in the events table (same order). */
  seqs: string[];
}

export async function ingestEvents(db: Kysely<Database>, inputs: readonly IngestEventInput[]): Promise<Ingested> {
  const now = new Date();
  try {
    const rows = await insertEvents(
      db,
      inputs.map((e) => ({
        incident_id: e.incident_id,
        event_type: e.event_type,
        message: e.message,
        level: e.level,
        source: e.source,
        metadata: JSON.stringify(e.metadata),
        timestamp: e.timestamp ? new Date(e.timestamp) : now,
      })),
    );
    return { events: rows.map(toEvent), seqs: rows.map((r) => String(r.seq)) };
  } catch (err) {
    if (sqlState(err) !== FOREIGN_KEY_VIOLATION) throw err;
    const missing = await missingIncidentIds(
      db,
      inputs.map((e) => e.incident_id),
    );
    const noun = missing.length === 1 ? 'incident' : 'incidents';
    throw new AppError('NOT_FOUND', missing.length ? `${noun} ${missing.join(', ')} not found` : 'incident not found');
  }
}

/** Compresses sequence numbers into inclusive ranges: one multi-row INSERT usually gives one range. */
export function toRanges(seqs: readonly string[]): Array<[string, string]> {
  const sorted = seqs.map((s) => BigInt(s)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ranges: Array<[bigint, bigint]> = [];
  for (const n of sorted) {
    const last = ranges.at(-1);
    if (last && n <= last[1] + 1n) last[1] = n > last[1] ? n : last[1];
    else ranges.push([n, n]);
  }
  return ranges.map(([a, b]) => [String(a), String(b)]);
}
