// Room frames too large for a NOTIFY payload (8000 bytes) are parked here; the notification carries only the id.
// Frozen in time: never import from src/.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('room_frames')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('frame', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('room_frames_created_idx').on('room_frames').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('room_frames').execute();
}
