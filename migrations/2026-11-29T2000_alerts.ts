// Alert integrations (issue 16): integrations, the alerts they delivered, the groups that tie alerts to incidents,
// silences, and the delivery log. Frozen in time: never import from src/.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('integrations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // Kept in clear, unlike API keys: Grafana's HMAC signature is checked with the secret itself.
    .addColumn('secret', 'text', (c) => c.notNull())
    // SHA-256 of the secret: how /v2/enqueue finds the integration a routing_key belongs to.
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'integrations_kind_check',
      sql`kind in ('alertmanager','grafana','pagerduty','datadog','generic')`,
    )
    .execute();

  // One row per (integration, group key): the lock every delivery of the group takes first (so two deliveries of one
  // group, e.g. from an Alertmanager HA pair, cannot both open an incident), and the group's incident and state.
  await db.schema
    .createTable('alert_groups')
    .addColumn('integration_id', 'uuid', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'uuid', (c) => c.references('incidents.id').onDelete('set null'))
    // Set when the alerts moved the incident to monitoring; auto-resolve counts the quiet period from it.
    .addColumn('monitoring_since', 'timestamptz')
    // When the group's alerts came back after all had resolved, newest last (flap detection keeps 30 minutes).
    .addColumn('refires', sql`timestamptz[]`, (c) => c.notNull().defaultTo(sql`'{}'::timestamptz[]`))
    .addColumn('flapping_since', 'timestamptz')
    .addPrimaryKeyConstraint('alert_groups_pk', ['integration_id', 'group_key'])
    .execute();
  await db.schema
    .createIndex('alert_groups_monitoring_idx')
    .on('alert_groups')
    .column('monitoring_since')
    .where(sql.ref('monitoring_since'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('alert_groups_flapping_idx')
    .on('alert_groups')
    .column('flapping_since')
    .where(sql.ref('flapping_since'), 'is not', null)
    .execute();
  await db.schema.createIndex('alert_groups_incident_idx').on('alert_groups').column('incident_id').execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('integration_id', 'uuid', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // pending (waiting for the gate), active (on an incident), suppressed (silenced), below (under min_severity).
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('raw_severity', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('labels', 'jsonb', (c) => c.notNull())
    .addColumn('annotations', 'jsonb', (c) => c.notNull())
    .addColumn('links', 'jsonb', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('starts_at', 'timestamptz')
    .addColumn('ends_at', 'timestamptz')
    .addColumn('incident_id', 'uuid', (c) => c.references('incidents.id').onDelete('set null'))
    // When this firing began as Warroom saw it (the creation gate's window counts from it).
    .addColumn('fired_at', 'timestamptz', (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_count', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('duplicate_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addCheckConstraint('alerts_status_check', sql`status in ('firing','resolved')`)
    .addCheckConstraint('alerts_state_check', sql`state in ('pending','active','suppressed','below')`)
    .addUniqueConstraint('alerts_identity_key', ['integration_id', 'dedup_key'])
    .execute();
  await db.schema.createIndex('alerts_group_idx').on('alerts').columns(['integration_id', 'group_key']).execute();
  await db.schema.createIndex('alerts_incident_idx').on('alerts').column('incident_id').execute();
  await db.schema
    .createIndex('alerts_suppressed_idx')
    .on('alerts')
    .column('integration_id')
    .where(sql<boolean>`state = 'suppressed' and status = 'firing'`)
    .execute();

  await db.schema
    .createTable('silences')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('matchers', 'jsonb', (c) => c.notNull())
    .addColumn('starts_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ends_at', 'timestamptz', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Set once the alerts it held back were weighed against the gate again after it ended.
    .addColumn('released_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('silences_ends_idx').on('silences').column('ends_at').execute();

  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('integration_id', 'uuid', (c) => c.notNull().references('integrations.id').onDelete('cascade'))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('outcomes', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('error', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('payload_truncated', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('seq', 'bigserial', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('alert_deliveries_integration_idx')
    .on('alert_deliveries')
    .columns(['integration_id', 'seq desc'])
    .execute();

  // Whether the alerts (rather than a person) set the incident's current status: auto-resolve only ever finishes what
  // the alerts started. And whether a person chose its severity, which alerts then never change.
  await db.schema
    .alterTable('incidents')
    .addColumn('status_by_alerts', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .alterTable('incidents')
    .addColumn('severity_by_person', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('incidents').dropColumn('severity_by_person').execute();
  await db.schema.alterTable('incidents').dropColumn('status_by_alerts').execute();
  await db.schema.dropTable('alert_deliveries').execute();
  await db.schema.dropTable('silences').execute();
  await db.schema.dropTable('alerts').execute();
  await db.schema.dropTable('alert_groups').execute();
  await db.schema.dropTable('integrations').execute();
}
