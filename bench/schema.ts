// What each part of the events schema costs batch ingest: the same 500-row batches, straight through `pg` on 4
// connections, into tables that differ by one thing at a time, interleaved (A B C … B C A …), medians of the runs.
// Usage: npm run bench:schema [-- --runs=N] [-- --seconds=S] [-- --grow=S]; TEST_DATABASE_URL (or DATABASE_URL) names the server.
import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { INSERT_KNOWN_EVENTS_SQL, newEventId } from '../src/db/events.js';
import { migrateToLatest } from '../src/db/migrator.js';
import type { Database } from '../src/db/types.js';
import { unnestColumns, unnestInsert } from './lib/ceiling.js';
import { median } from './lib/load.js';
import { scratchDatabase } from './lib/servers.js';
import { batchRows } from './lib/workload.js';

const arg = (name: string, fallback: number): number =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const RUNS = arg('runs', 5);
const SECONDS = arg('seconds', 4);
// Seconds each table is filled for before the measured runs: random keys slow down only once an index is large.
const GROW = arg('grow', 1);
const BATCH = 500;
const CLIENTS = 4;
const PG = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** The tables compared, each made from Warroom's own `events` (after every migration) less or plus one thing. */
const TABLES = [
  // The "physical" ceiling: the same columns, a primary key and one (incident_id, timestamp) index.
  `create table v_minimal (id uuid primary key, incident_id uuid not null, event_type text not null,
     message text not null, level text not null, source text not null, metadata jsonb not null,
     "timestamp" timestamptz not null)`,
  `create index on v_minimal (incident_id, "timestamp")`,
  `create table v_minimal_v7 (like v_minimal including all)`,
  // The same, plus the nullable actor column Warroom's statement fills: the statement forms compared.
  `create table v_minimal_json (like v_minimal including all)`,
  `alter table v_minimal_json add column actor text`,
  // Warroom's columns and index, one plain table, with and without the foreign key to incidents.
  `create table v_plain (like events including defaults)`,
  `alter table v_plain add primary key (id)`,
  `create index on v_plain (incident_id, "timestamp" desc, seq desc)`,
  `create table v_plain_fk (like v_plain including all)`,
  `alter table v_plain_fk add foreign key (incident_id) references incidents (id)`,
  // Warroom's partitioned table with the foreign key it had until 2026-11-30 (one partition, as in a week).
  `create table v_partitioned_fk (like events including defaults) partition by range (received_at)`,
  `alter table v_partitioned_fk add primary key (id, received_at)`,
  `alter table v_partitioned_fk add foreign key (incident_id) references incidents (id)`,
  `create index on v_partitioned_fk (incident_id, "timestamp" desc, seq desc)`,
  `create table v_partitioned_fk_all partition of v_partitioned_fk for values from (minvalue) to (maxvalue)`,
  // Warroom's events table as it is, filled with random (v4) ids as it was until 2026-11-30's UUIDv7 change.
  `create table v_events_v4 (like events including defaults) partition by range (received_at)`,
  `alter table v_events_v4 add primary key (id, received_at)`,
  `create index on v_events_v4 (incident_id, "timestamp" desc, seq desc)`,
  `create table v_events_v4_all partition of v_events_v4 for values from (minvalue) to (maxvalue)`,
];

type Statement = () => [sql: string, params: unknown[]];

function variants(incidentId: string): Record<string, Statement> {
  const rows = batchRows(incidentId, BATCH);
  const json = (id: () => string) => JSON.stringify(rows.map((r) => ({ id: id(), ...r })));
  // Warroom's statement for incidents it knows exist (every batch after an incident's first), aimed at another table,
  // with Warroom's ids (time-ordered) unless told otherwise.
  const warroomInto = (table: string, returning = 'id, seq', id: () => string = newEventId): Statement => {
    const sql = INSERT_KNOWN_EVENTS_SQL.replace('insert into events', `insert into ${table}`).replace(
      'returning id, seq',
      `returning ${returning}`,
    );
    return () => [sql, [json(id), null]];
  };
  return {
    'minimal table, one unnest statement': () => [unnestInsert('v_minimal'), unnestColumns(rows, 'random')],
    'minimal table, one unnest statement, time-ordered (v7) ids': () => [
      unnestInsert('v_minimal_v7'),
      unnestColumns(rows, 'v7'),
    ],
    "minimal table (+ actor), Warroom's json_to_recordset statement": warroomInto('v_minimal_json', 'id'),
    "Warroom's columns and index, plain table, no foreign key": warroomInto('v_plain'),
    "Warroom's columns and index, plain table, foreign key": warroomInto('v_plain_fk'),
    "Warroom's table before 2026-11-30's change: partitioned, foreign key": warroomInto('v_partitioned_fk'),
    "Warroom's events table now: partitioned, no foreign key": warroomInto('events'),
    "the same with random (v4) ids, as until 2026-11-30": warroomInto('v_events_v4', 'id, seq', randomUUID),
  };
}

async function main(): Promise<void> {
  const scratch = await scratchDatabase(PG);
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max: 1 }) }),
  });
  const clients: pg.Client[] = [];
  try {
    await migrateToLatest(db);
    const admin = new pg.Client({ connectionString: scratch.url });
    await admin.connect();
    clients.push(admin);
    for (const statement of TABLES) await admin.query(statement);
    const incident = await admin.query<{ id: string }>(
      `insert into incidents (title, severity, source) values ('schema bench', 'high', 'bench') returning id`,
    );
    const all = variants(incident.rows[0]?.id ?? '');
    for (let i = 0; i < CLIENTS; i++) {
      const c = new pg.Client({ connectionString: scratch.url });
      await c.connect();
      clients.push(c);
    }
    const workers = clients.slice(1);
    const results = new Map<string, number[]>();
    for (let run = 0; run <= RUNS; run++) {
      // Each run starts one variant later, so none always follows the heaviest (whose checkpoint and autovacuum
      // work lands on whoever runs next).
      const entries = Object.entries(all);
      const order = entries.map((_, i) => entries[(i + run) % entries.length] as [string, Statement]);
      for (const [name, make] of order) {
        const end = performance.now() + (run === 0 ? GROW : SECONDS) * 1000;
        let batches = 0;
        await Promise.all(
          workers.map(async (c) => {
            while (performance.now() < end) {
              const [sql, params] = make();
              await c.query(sql, params);
              batches++;
            }
          }),
        );
        // Run 0 is a warm-up of every variant, not recorded.
        if (run > 0) results.set(name, [...(results.get(name) ?? []), (batches * BATCH) / SECONDS]);
      }
      console.error(`  run ${run} of ${RUNS} done`);
    }
    const minimal = median(results.get('minimal table, one unnest statement') ?? []);
    console.log(
      `\nBatch insert, ${BATCH} rows a statement, ${CLIENTS} connections, ${RUNS} runs × ${SECONDS} s, interleaved\n`,
    );
    console.log('| table and statement | rows/s (median) | / minimal | runs |\n|---|---|---|---|');
    for (const [name, xs] of results) {
      const m = median(xs);
      console.log(
        `| ${name} | ${Math.round(m).toLocaleString('en-US')} | ${(m / minimal).toFixed(2)} | ${xs.map((x) => Math.round(x / 1000)).join(', ')}k |`,
      );
    }
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await db.destroy();
    await scratch.drop();
  }
}

await main();
