// Keeps the templates an analysis found on the incident, so later incidents can be compared with it cheaply.
// Frozen in time: never import from src/.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('incidents')
    .addColumn('analysis_templates', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  // Similarity search reads the most recent analysed incidents.
  await db.schema
    .createIndex('incidents_analysed_idx')
    .on('incidents')
    .columns(['created_at desc'])
    .where(sql.ref('root_cause'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('incidents_analysed_idx').execute();
  await db.schema.alterTable('incidents').dropColumn('analysis_templates').execute();
}
