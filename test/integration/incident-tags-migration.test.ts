// The upgrade that adds incident_tags (migrations/2026-12-01T1000_incident_tags.ts) on a database that already has
// incidents, while an instance of the previous release keeps creating them (a rolling upgrade): every incident,
// old, concurrent or new, must be found by each of its tags. Filled first and given its triggers after, without a
// lock, the table missed the incidents committed in between, for good (27 of 400 in a review's run).
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/types.js';
import { DB_LABEL, POSTGRES_URL, scratchKysely } from './harness.js';

const BEFORE = '2026-12-01T0700_indexes_for_growth';
const SEEDED = 50_000;

const suite = POSTGRES_URL ? describe : describe.skip;

suite(`upgrading to the tag table (${DB_LABEL})`, () => {
  let scratch: Awaited<ReturnType<typeof scratchKysely>>;
  let db: Kysely<Database>;

  beforeAll(async () => {
    if (!POSTGRES_URL) return;
    scratch = await scratchKysely(POSTGRES_URL, 2);
    db = scratch.db;
  });

  afterAll(() => scratch?.close());

  /** (incident, created_at, tag) triples the incidents say and the table lacks, or the table holds and they do not. */
  async function mismatches(): Promise<Array<{ id: string; tag: string }>> {
    const r = await sql<{ id: string; tag: string }>`
      (select i.id, i.created_at, t as tag from incidents i, unnest(i.tags) t where t is not null
        except select incident_id, created_at, tag from incident_tags)
      union all
      (select incident_id, created_at, tag from incident_tags
        except select i.id, i.created_at, t from incidents i, unnest(i.tags) t where t is not null)`.execute(db);
    return r.rows;
  }

  it('fills the table from existing incidents and misses none written while it runs', async () => {
    const migrator = createMigrator(db);
    const to = await migrator.migrateTo(BEFORE);
    expect(to.error).toBeUndefined();
    // Old incidents, one with a repeated tag and one with a NULL element (only hand-written SQL stores either).
    await sql`insert into incidents (title, severity, source, tags, created_at)
      select 'old ' || i, 'high', 'am', array['prod', 'db-' || (i % 7)], now() - make_interval(secs => i)
      from generate_series(1, ${SEEDED}) i`.execute(db);
    await sql`insert into incidents (title, severity, source, tags)
      values ('dup', 'high', 'am', array['a', 'b', 'a']), ('with null', 'high', 'am', array['x', null])`.execute(db);

    // The previous release, creating incidents one statement at a time throughout the upgrade.
    const writer = new pg.Client({ connectionString: scratch.url });
    await writer.connect();
    let writing = true;
    let written = 0;
    const writes = (async () => {
      while (writing) {
        await writer.query(
          `insert into incidents (title, severity, source, tags) values ('race', 'high', 'am', '{race}')`,
        );
        written++;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    const up = await createMigrator(db).migrateToLatest();
    await new Promise((r) => setTimeout(r, 100));
    writing = false;
    await writes;
    await writer.end();
    expect(up.error).toBeUndefined();
    expect(written).toBeGreaterThan(10);

    expect(await mismatches()).toEqual([]);
    const race = await sql<{ n: string }>`select count(*) as n from incident_tags where tag = 'race'`.execute(db);
    expect(Number(race.rows[0]?.n)).toBe(written);
  }, 120_000);

  it('goes down and up again: the GIN index back, then the table refilled', async () => {
    const down = await createMigrator(db).migrateTo(BEFORE);
    expect(down.error).toBeUndefined();
    const gone = await sql<{ n: string }>`select count(*) as n from pg_class where relname = 'incident_tags'`.execute(
      db,
    );
    expect(Number(gone.rows[0]?.n)).toBe(0);
    const gin = await sql<{
      n: string;
    }>`select count(*) as n from pg_indexes where indexname = 'incidents_tags_idx'`.execute(db);
    expect(Number(gin.rows[0]?.n)).toBe(1);
    const up = await createMigrator(db).migrateToLatest();
    expect(up.error).toBeUndefined();
    expect(await mismatches()).toEqual([]);
    // And TRUNCATE, which no trigger on rows sees, empties it too.
    await sql`truncate incidents cascade`.execute(db);
    const left = await sql<{ n: string }>`select count(*) as n from incident_tags`.execute(db);
    expect(Number(left.rows[0]?.n)).toBe(0);
  }, 120_000);
});
