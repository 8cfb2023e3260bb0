// How many of a group's alerts the sender left out of its latest message while the group was firing (Alertmanager's
// and Grafana's `truncatedAlerts`, under `max_alerts`): the group is not quiet while it says some. A constant
// default, so adding it is instant.
// Frozen in time: never import from src/.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('alert_groups')
    .addColumn('hidden_firing', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('alert_groups').dropColumn('hidden_firing').execute();
}
