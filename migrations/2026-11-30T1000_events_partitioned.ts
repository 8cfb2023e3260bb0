// Events become a table range-partitioned by arrival time (`received_at`, one partition a week), so old events go a
// whole partition at a time (EVENT_RETENTION_DAYS: a DROP TABLE, not a DELETE that bloats the table and every index)
// and no single table, index or vacuum grows for years.
//
// Arrival time, not the sender's `timestamp`: arrival is always "now", so every insert lands in a partition made
// ahead of time, while a sender's clock can be years off or in the future. Incidents exist before their events
// (foreign key), so readers prune partitions older than the incident (src/db/event-partitions.ts).
//
// Existing events are not copied: the old table is attached as the partition `events_legacy` for every arrival
// before this migration. Their `received_at` is one second before the migration, a constant default, so adding the
// column does not rewrite the table; not their real arrival, but after every existing incident was created, which
// is what readers' pruning needs, and what retention measures the partition's age by. Attaching builds one index, (id, received_at), for the new primary key and scans the table once to
// check the bound. An empty old table is dropped instead. The partitions after it are made here for this week and
// the next, and ahead of time by the server from then on; a default partition catches rows if that ever fell behind.
//
// No foreign key to incidents: its per-row trigger and row lock on the incident cost about a fifth of batch ingest
// (measured: bench/, docs/performance.md), and several batches for one incident at once queued on that one row. The
// insert statement checks once per batch that every incident it names exists (src/db/events.ts), and incidents are
// never deleted; should deleting them ever be added, it must delete their events itself.
// Frozen in time: never import from src/.
import { type Kysely, sql } from 'kysely';

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export async function up(db: Kysely<unknown>): Promise<void> {
  const bounds = await sql<{ t: string; before_t: string; t_name: string; w1: string; w1_name: string; w2: string }>`
    select to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as t,
           to_char(date_trunc('second', now() at time zone 'UTC') - interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as before_t,
           to_char(now() at time zone 'UTC', 'YYYYMMDD"_"HH24MISS') as t_name,
           to_char(date_trunc('week', now() at time zone 'UTC') + interval '7 days', 'YYYY-MM-DD"T00:00:00Z"') as w1,
           to_char(date_trunc('week', now() at time zone 'UTC') + interval '7 days', 'YYYYMMDD') as w1_name,
           to_char(date_trunc('week', now() at time zone 'UTC') + interval '14 days', 'YYYY-MM-DD"T00:00:00Z"') as w2`.execute(
    db,
  );
  const b = bounds.rows[0];
  if (!b) throw new Error('no time from the database');
  const legacyRows = await sql<{ any: boolean }>`select exists (select 1 from events) as any`.execute(db);
  const keepLegacy = legacyRows.rows[0]?.any === true;

  await sql`alter table events rename to events_legacy`.execute(db);
  await sql`alter table events_legacy rename constraint events_pkey to events_legacy_pkey`.execute(db);
  await sql`alter table events_legacy drop constraint events_incident_id_fkey`.execute(db);
  await sql`alter index events_incident_ts_idx rename to events_legacy_incident_ts_idx`.execute(db);

  await sql`
    create table events (
      id uuid not null default gen_random_uuid(),
      incident_id uuid not null,
      event_type text not null,
      message text not null,
      level text not null,
      source text not null,
      metadata jsonb not null default '{}'::jsonb,
      "timestamp" timestamptz not null,
      seq bigint not null default nextval('events_seq_seq'),
      xact bigint default (pg_current_xact_id()::text::bigint),
      actor text,
      received_at timestamptz not null default now(),
      primary key (id, received_at)
    ) partition by range (received_at)`.execute(db);
  // The sequence belonged to the old table's column: dropping that partition one day would drop it too.
  await sql`alter sequence events_seq_seq owned by events.seq`.execute(db);
  // Attaching finds the old table's index of the same shape and adopts it instead of building another.
  await sql`create index events_incident_ts_idx on events (incident_id, "timestamp" desc, seq desc)`.execute(db);

  if (keepLegacy) {
    // Its primary key was (id); the partitioned table's is (id, received_at), built for it when it is attached.
    await sql`alter table events_legacy drop constraint events_legacy_pkey`.execute(db);
    await sql
      .raw(`alter table events_legacy add column received_at timestamptz not null default ${quote(b.before_t)}`)
      .execute(db);
    await sql`alter table events_legacy alter column received_at drop default`.execute(db);
    await sql`alter table events_legacy alter column seq drop default`.execute(db);
    await sql
      .raw(`alter table events attach partition events_legacy for values from (minvalue) to (${quote(b.t)})`)
      .execute(db);
  } else {
    await sql`drop table events_legacy`.execute(db);
  }
  await sql
    .raw(`create table events_${b.t_name} partition of events for values from (${quote(b.t)}) to (${quote(b.w1)})`)
    .execute(db);
  await sql
    .raw(`create table events_${b.w1_name} partition of events for values from (${quote(b.w1)}) to (${quote(b.w2)})`)
    .execute(db);
  await sql`create table events_default partition of events default`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('events_partitioned cannot be undone: restore a backup taken before it');
}
