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

export async function findAction(
  db: Kysely<Database>,
  incidentId: string,
  actionId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<ActionRow | undefined> {
  let q = db.selectFrom('actions').selectAll().where('id', '=', actionId).where('incident_id', '=', incidentId);
  if (opts.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function setActionStatus(db: Kysely<Database>, id: string, status: string): Promise<ActionRow> {
  return db
    .updateTable('actions')
    .set({ status, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
