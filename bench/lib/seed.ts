// Fills a database to scale with set-based SQL, in minutes rather than hours: incidents created over the past
// `weeks` weeks, each with its events arriving in the minutes after it, so the events spread over a year of weekly
// partitions as a long-running server's would (src/db/event-partitions.ts makes partitions only from now on, so
// the past ones are made here).
import { sql, type Kysely } from 'kysely';
import { listEventPartitions, weekStart } from '../../src/db/event-partitions.js';
import type { Database } from '../../src/db/types.js';

const WEEK_MS = 7 * 86_400_000;

export interface ScaleSpec {
  incidents: number;
  eventsPerIncident: number;
  /** How far back incidents (and their events' arrivals) go. */
  weeks: number;
  /** Called after each chunk of incidents with how many are done. */
  progress?: (done: number) => void;
}

/** Makes weekly partitions for the `weeks` weeks before the oldest one (and the part-week before it, if any). */
async function pastPartitions(db: Kysely<Database>, weeks: number): Promise<void> {
  const first = (await listEventPartitions(db)).find((p) => !p.isDefault);
  if (!first?.from) return; // a legacy partition reaches back without bound already
  let to = first.from;
  let from = weekStart(to);
  if (from.getTime() === to.getTime()) from = new Date(to.getTime() - WEEK_MS);
  for (let i = 0; i <= weeks; i++) {
    const name = `events_seed_${from.toISOString().slice(0, 10).replaceAll('-', '')}`;
    await sql`create table ${sql.table(name)} partition of events
      for values from (${sql.lit(from.toISOString())}) to (${sql.lit(to.toISOString())})`.execute(db);
    to = from;
    from = new Date(from.getTime() - WEEK_MS);
  }
}

export async function seedScale(db: Kysely<Database>, spec: ScaleSpec): Promise<void> {
  await pastPartitions(db, spec.weeks);
  const spanSeconds = Math.floor((spec.weeks * WEEK_MS) / 1000);
  const CHUNK = 10_000;
  // Events get time-ordered ids of their arrival, as Warroom gives them (src/db/uuid-v7.ts: a random v4 id with the
  // milliseconds written over its first 48 bits and version 7), so the seeded table's key looks like production's.
  await sql`
    create or replace function bench_uuid_v7(at timestamptz) returns uuid language sql volatile as $$
      select encode(set_byte(overlay(b placing substring(int8send(floor(extract(epoch from at) * 1000)::bigint) from 3)
                                     from 1 for 6), 6, (get_byte(b, 6) & 15) | 112), 'hex')::uuid
      from (select uuid_send(gen_random_uuid()) as b) r
    $$`.execute(db);
  for (let start = 1; start <= spec.incidents; start += CHUNK) {
    const end = Math.min(spec.incidents, start + CHUNK - 1);
    // Incident g was created g/incidents of the span ago; its events arrive one a second after it.
    await sql`
      with i as (
        insert into incidents (title, description, status, severity, source, tags, created_at, updated_at)
        select 'seeded incident ' || g, 'seeded for the scale benchmark',
               (array['open','investigating','identified','monitoring','resolved','closed'])[1 + g % 6],
               (array['critical','high','medium','low','info'])[1 + g % 5],
               'seed', array['seed', 'team-' || (g % 20)],
               now() - make_interval(secs => ${spanSeconds}::float8 * g / ${spec.incidents}),
               now() - make_interval(secs => ${spanSeconds}::float8 * g / ${spec.incidents})
        from generate_series(${start}::int, ${end}::int) g
        returning id, title, created_at
      )
      insert into events (id, incident_id, event_type, message, level, source, metadata, "timestamp", received_at)
      select bench_uuid_v7(a.arrived), i.id, 'log', 'seeded event ' || n || ' for ' || i.title,
             (array['debug','info','warning','error','critical'])[1 + n % 5], 'seed', '{}'::jsonb,
             i.created_at + make_interval(secs => n), a.arrived
      from i cross join generate_series(1, ${spec.eventsPerIncident}::int) n
        cross join lateral (select least(now(), i.created_at + make_interval(secs => n)) as arrived) a`.execute(db);
    spec.progress?.(end);
  }
  await sql`drop function bench_uuid_v7(timestamptz)`.execute(db);
  await sql`analyze`.execute(db);
}
