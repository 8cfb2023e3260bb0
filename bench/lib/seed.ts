// Fills a database to scale (100,000 incidents, 1,000,000 events) with set-based SQL, in seconds rather than hours.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/types.js';

export async function seedScale(db: Kysely<Database>, incidents: number, eventsPerIncident: number): Promise<void> {
  await sql`
    insert into incidents (title, description, status, severity, source, tags, created_at, updated_at)
    select 'seeded incident ' || g, 'seeded for the scale benchmark',
           (array['open','investigating','identified','monitoring','resolved','closed'])[1 + g % 6],
           (array['critical','high','medium','low','info'])[1 + g % 5],
           'seed', array['seed', 'team-' || (g % 20)],
           now() - make_interval(secs => g), now() - make_interval(secs => g)
    from generate_series(1, ${incidents}) g`.execute(db);
  await sql`
    insert into events (incident_id, event_type, message, level, source, metadata, timestamp)
    select i.id, 'log', 'seeded event ' || n || ' for ' || i.title,
           (array['debug','info','warning','error','critical'])[1 + n % 5], 'seed', '{}'::jsonb,
           i.created_at + make_interval(secs => n)
    from (select id, title, created_at from incidents where source = 'seed') i
    cross join generate_series(1, ${eventsPerIncident}) n`.execute(db);
  await sql`analyze`.execute(db);
}
