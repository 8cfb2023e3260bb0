// Indexes for queries whose cost grew with tables that only grow (a review filled them to production sizes on
// PostgreSQL 15; figures in docs/performance.md, 2026-12-01):
// - a delivery's alerts: the firing alerts of its groups. Through alerts_group_idx it read every alert a group ever
//   had (resolved ones stay); with 1,000,000 resolved in one group a duplicate delivery took 253 ms, not 8.5.
// - the silence sweep, every second on every instance: ended silences not yet released. Through silences_ends_idx it
//   read every ended silence; 1,000,000 of them cost 95 ms a sweep and kept PostgreSQL at 12% of a core when idle.
// - the silence list, newest first (it sorted the whole table).
// - an incident's status changes, which each analysis reads (it read every timeline entry of the incident).
// Plain CREATE INDEX (a migration runs in a transaction): on a large database the first start after upgrading
// builds them while holding writes to those tables, seconds per million rows.
// Frozen in time: never import from src/.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index alerts_firing_group_idx on alerts (integration_id, group_key) where status = 'firing'`.execute(
    db,
  );
  await sql`create index silences_unreleased_idx on silences (ends_at) where released_at is null`.execute(db);
  await sql`create index silences_created_idx on silences (created_at desc, id desc)`.execute(db);
  await sql`create index timeline_status_changes_idx on timeline_entries (incident_id, seq)
    where entry_type = 'status_change'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const name of [
    'timeline_status_changes_idx',
    'silences_created_idx',
    'silences_unreleased_idx',
    'alerts_firing_group_idx',
  ])
    await sql`drop index if exists ${sql.id(name)}`.execute(db);
}
