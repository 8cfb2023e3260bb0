// Replaces an analyzer's pending suggestions with a new set, keeping ids stable and never touching work in progress.
import type { Kysely } from 'kysely';
import type { ActionRow, Database } from '../db/types.js';

export interface Suggestion {
  title: string;
  description: string;
  priority: number;
}

export interface SuggestionChanges {
  created: ActionRow[];
  updated: ActionRow[];
  /** Ids of the pending suggestions deleted. */
  removed: string[];
}

const key = (title: string): string => title.trim().toLowerCase();

/**
 * Pending suggestions from an analyzer (`isMachine`) that the new set no longer contains are deleted; ones it still
 * contains keep their id (priority and description refreshed); a suggestion whose title matches an action that is
 * already in progress, done, failed, skipped or human-made is not suggested again.
 */
export async function replaceSuggestions(
  db: Kysely<Database>,
  incidentId: string,
  suggestedBy: string,
  next: readonly Suggestion[],
  isMachine: (suggestedBy: string) => boolean,
): Promise<SuggestionChanges> {
  const current = await db
    .selectFrom('actions')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .forUpdate()
    .execute();
  const replaceable = new Map<string, ActionRow>();
  const settled = new Set<string>();
  for (const a of current) {
    if (a.status === 'pending' && isMachine(a.suggested_by)) replaceable.set(key(a.title), a);
    else settled.add(key(a.title));
  }
  const created: ActionRow[] = [];
  const updated: ActionRow[] = [];
  const toInsert: Suggestion[] = [];
  const seen = new Set<string>();
  for (const s of next) {
    const k = key(s.title);
    if (settled.has(k) || seen.has(k)) continue;
    seen.add(k);
    const existing = replaceable.get(k);
    if (!existing) {
      toInsert.push(s);
      continue;
    }
    replaceable.delete(k);
    if (existing.priority !== s.priority || existing.description !== s.description) {
      updated.push(
        await db
          .updateTable('actions')
          .set({ priority: s.priority, description: s.description, suggested_by: suggestedBy, updated_at: new Date() })
          .where('id', '=', existing.id)
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
    }
  }
  const stale = [...replaceable.values()].map((a) => a.id);
  if (stale.length > 0) await db.deleteFrom('actions').where('id', 'in', stale).execute();
  if (toInsert.length > 0) {
    created.push(
      ...(await db
        .insertInto('actions')
        .values(
          toInsert.map((s) => ({
            incident_id: incidentId,
            title: s.title,
            description: s.description,
            priority: s.priority,
            suggested_by: suggestedBy,
          })),
        )
        .returningAll()
        .execute()),
    );
  }
  return { created, updated, removed: stale };
}
