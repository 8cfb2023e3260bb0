// Initial schema: incidents, events, timeline entries and actions, with an index for every list and filter path.
// Frozen in time: never import from src/.
import { type Kysely, sql } from 'kysely';

// Kysely<unknown>: a migration must not depend on today's table types.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('tags', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('ai_summary', 'text')
    .addColumn('root_cause', 'text')
    .addColumn('suggested_actions', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('analysis_category', 'text')
    .addCheckConstraint(
      'incidents_status_check',
      sql`status in ('open','investigating','identified','monitoring','resolved','closed')`,
    )
    .addCheckConstraint('incidents_severity_check', sql`severity in ('critical','high','medium','low','info')`)
    .execute();
  // Lists are newest first, optionally filtered by one column: one composite index per filter keeps each an index scan.
  await db.schema
    .createIndex('incidents_created_idx')
    .on('incidents')
    .columns(['created_at desc', 'id desc'])
    .execute();
  for (const col of ['status', 'severity', 'source']) {
    await db.schema
      .createIndex(`incidents_${col}_created_idx`)
      .on('incidents')
      .columns([col, 'created_at desc', 'id desc'])
      .execute();
  }
  await db.schema.createIndex('incidents_tags_idx').on('incidents').using('gin').column('tags').execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('timestamp', 'timestamptz', (c) => c.notNull())
    // Insertion order breaks ties between events that share a source timestamp, so paging is stable.
    .addColumn('seq', 'bigserial', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('events_incident_ts_idx')
    .on('events')
    .columns(['incident_id', 'timestamp desc', 'seq desc'])
    .execute();

  await db.schema
    .createTable('timeline_entries')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('entry_type', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('timestamp', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('seq', 'bigserial', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('timeline_incident_ts_idx')
    .on('timeline_entries')
    .columns(['incident_id', 'seq'])
    .execute();

  await db.schema
    .createTable('actions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('suggested_by', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('seq', 'bigserial', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('actions_incident_idx').on('actions').columns(['incident_id', 'seq']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('actions').execute();
  await db.schema.dropTable('timeline_entries').execute();
  await db.schema.dropTable('events').execute();
  await db.schema.dropTable('incidents').execute();
}
