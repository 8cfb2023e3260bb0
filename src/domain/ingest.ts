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
export async function ingestEvents(db: Kysely<Database>, inputs: readonly IngestEventInput[]): Promise<Event[]> {
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
    return rows.map(toEvent);
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
