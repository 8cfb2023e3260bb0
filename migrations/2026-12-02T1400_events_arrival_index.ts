// An index for the events tail (`GET …/events?after=`, and the console's catch-up): every event of an incident
// written after a cursor, in the order written, `(coalesce(xact, 0), seq)`. Without it PostgreSQL reads all of the
// incident's events by (incident_id, timestamp) and sorts them: 627 ms for an incident of 1,000,000 events, on each
// poll of each client tailing it (docs/performance.md, 2026-12-01).
//
// Made on `events` alone (`on only`), so this migration takes its lock for an instant: building it on a
// partitioned table in one statement would lock out every insert for the whole build, minutes on a large table.
// Partition maintenance builds it on each partition CONCURRENTLY and attaches each (src/db/partition-indexes.ts);
// PostgreSQL marks it valid once every partition has one, and partitions made later get it as they are attached.
// Until then each partition's own index serves reads of that partition.
// Frozen in time: never import from src/.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index events_incident_arrival_idx on only events (incident_id, (coalesce(xact, 0)), seq)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Dropping the parent drops every partition's attached index with it.
  await sql`drop index events_incident_arrival_idx`.execute(db);
}
