// Query functions for the actions table.
import type { Kysely } from 'kysely';
import type { Database, ActionRow } from './types.js';

export async function listActions(db: Kysely<Database>, incidentId: string): Promise<ActionRow[]> {
  return db
    .selectFrom('actions')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('priority', 'asc')
    .orderBy('seq', 'asc')
    .execute();
}
