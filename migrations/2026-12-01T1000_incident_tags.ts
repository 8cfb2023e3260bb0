// The incident list filtered by tag, newest first, read in order from a table of (tag, created_at, incident_id).
// The GIN index on incidents.tags finds the matching incidents but not their order, so PostgreSQL walked the
// newest-first index and checked each incident's tags instead: a tag on no incident, or only on old ones, read the
// whole table (293-363 ms a page at 1,000,000 incidents; docs/performance.md, 2026-12-01). The tag table's primary
// key gives a tag's incidents newest first, so a page reads its own rows and no others.
//
// Triggers keep it in step with incidents.tags whatever writes them (every instance, every release; a multi-row
// create is one statement and fills it in one statement; a NULL element, which only hand-written SQL could store, is
// no tag). The GIN index goes: nothing reads it any more, and every create paid for it.
// The first start after upgrading fills the table from the incidents there are (9.6 s for a million incidents on
// this project's test machine), holding writes to incidents meanwhile (the lock below).
// Frozen in time: never import from src/.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Held until the migration's transaction commits: an instance of the previous release still writing incidents
  // (a rolling upgrade) waits, instead of committing an incident between the fill below and the triggers, which
  // would leave it out of the table for good.
  await sql`lock table incidents in share row exclusive mode`.execute(db);
  await sql`create table incident_tags (
    tag text not null,
    created_at timestamptz not null,
    incident_id uuid not null,
    primary key (tag, created_at, incident_id)
  )`.execute(db);
  await sql`create function incident_tags_added() returns trigger language plpgsql as $$
    begin
      insert into incident_tags (tag, created_at, incident_id)
        select distinct t, n.created_at, n.id from added n, unnest(n.tags) t where t is not null;
      return null;
    end $$`.execute(db);
  await sql`create trigger incident_tags_added after insert on incidents
    referencing new table as added for each statement execute function incident_tags_added()`.execute(db);

  // A row trigger: PostgreSQL allows no transition table on a trigger limited to some columns, and tags change
  // one incident at a time (an alert marking it flapping).
  await sql`create function incident_tags_changed() returns trigger language plpgsql as $$
    begin
      delete from incident_tags
        where tag = any(old.tags) and created_at = old.created_at and incident_id = old.id
          and (new.created_at is distinct from old.created_at or not (tag = any(new.tags)));
      insert into incident_tags (tag, created_at, incident_id)
        select distinct t, new.created_at, new.id from unnest(new.tags) t where t is not null
        on conflict do nothing;
      return null;
    end $$`.execute(db);
  await sql`create trigger incident_tags_changed after update of tags, created_at on incidents
    for each row when (old.tags is distinct from new.tags or old.created_at is distinct from new.created_at)
    execute function incident_tags_changed()`.execute(db);

  // Incidents are not deleted by Warroom; one an operator deletes by hand takes its rows with it.
  await sql`create function incident_tags_removed() returns trigger language plpgsql as $$
    begin
      delete from incident_tags t using removed r
        where t.incident_id = r.id and t.created_at = r.created_at and t.tag = any(r.tags);
      return null;
    end $$`.execute(db);
  await sql`create trigger incident_tags_removed after delete on incidents
    referencing old table as removed for each statement execute function incident_tags_removed()`.execute(db);

  await sql`create function incident_tags_truncated() returns trigger language plpgsql as $$
    begin
      truncate incident_tags;
      return null;
    end $$`.execute(db);
  await sql`create trigger incident_tags_truncated after truncate on incidents
    for each statement execute function incident_tags_truncated()`.execute(db);

  await sql`insert into incident_tags (tag, created_at, incident_id)
    select distinct t, i.created_at, i.id from incidents i, unnest(i.tags) t where t is not null`.execute(db);
  await sql`drop index if exists incidents_tags_idx`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create index if not exists incidents_tags_idx on incidents using gin (tags)`.execute(db);
  await sql`drop trigger if exists incident_tags_truncated on incidents`.execute(db);
  await sql`drop trigger if exists incident_tags_removed on incidents`.execute(db);
  await sql`drop trigger if exists incident_tags_changed on incidents`.execute(db);
  await sql`drop trigger if exists incident_tags_added on incidents`.execute(db);
  await sql`drop function if exists incident_tags_truncated()`.execute(db);
  await sql`drop function if exists incident_tags_removed()`.execute(db);
  await sql`drop function if exists incident_tags_changed()`.execute(db);
  await sql`drop function if exists incident_tags_added()`.execute(db);
  await sql`drop table if exists incident_tags`.execute(db);
}
