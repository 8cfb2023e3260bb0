// Who ingested each event: the API key's name when keys are enforced (null while the server is open, and for events
// written before this column). Nullable with no default, so adding it is instant on a large table.
// Frozen in time: never import from src/.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').addColumn('actor', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').dropColumn('actor').execute();
}
