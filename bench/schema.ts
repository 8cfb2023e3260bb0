// What each part of the events schema costs batch ingest: the same 500-row batches, straight through `pg` on 4
// connections, into tables that differ by one thing at a time, interleaved (A B C … B C A …), medians of the runs.
// Usage: npm run bench:schema [-- --runs=N] [-- --seconds=S] [-- --grow=S]; TEST_DATABASE_URL (or DATABASE_URL) names the server.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../src/db/migrator.js';
import type { Database } from '../src/db/types.js';
import { median } from './lib/load.js';
import { SCHEMA_TABLES, schemaVariants, type Statement } from './lib/schema-variants.js';
import { scratchDatabase } from './lib/servers.js';

const arg = (name: string, fallback: number): number =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const RUNS = arg('runs', 5);
const SECONDS = arg('seconds', 4);
// Seconds each table is filled for before the measured runs: random keys slow down only once an index is large.
const GROW = arg('grow', 1);
const BATCH = 500;
const CLIENTS = 4;
const PG = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

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
    for (const statement of SCHEMA_TABLES) await admin.query(statement);
    const incident = await admin.query<{ id: string }>(
      `insert into incidents (title, severity, source) values ('schema bench', 'high', 'bench') returning id`,
    );
    const all = schemaVariants(incident.rows[0]?.id ?? '', BATCH);
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
