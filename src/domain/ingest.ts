// Event ingest: every referenced incident must exist, and a batch is written all or nothing in one statement.
import type { Kysely } from 'kysely';
import type { Event, IngestEventInput } from '../../schema/index.js';
import { insertEvents } from '../db/events.js';
import { missingIncidentIds } from '../db/incidents.js';
import { toEvent } from '../db/rows.js';
import type { Database } from '../db/types.js';
import { AppError } from './errors.js';

export async function ingestEvents(db: Kysely<Database>, inputs: readonly IngestEventInput[]): Promise<Event[]> {
  const now = new Date();
  return db.transaction().execute(async (tx) => {
    const missing = await missingIncidentIds(
      tx,
      inputs.map((e) => e.incident_id),
    );
    if (missing.length > 0) {
      const noun = missing.length === 1 ? 'incident' : 'incidents';
      throw new AppError('NOT_FOUND', `${noun} ${missing.join(', ')} not found`);
    }
    const rows = await insertEvents(
      tx,
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
  });
}
