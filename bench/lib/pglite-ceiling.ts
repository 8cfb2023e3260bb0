// Embedded mode's own ceiling: the batch statement Warroom sends, straight into PGlite, in a process of its own (as the server's is).
// Prints {"rows_per_second": n, "cpu_ms_per_batch": n}. Usage: tsx bench/lib/pglite-ceiling.ts SECONDS BATCH
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { migrateToLatest } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/types.js';
import { batchStatement } from './ceiling.js';
import { batchRows } from './workload.js';

const seconds = Number(process.argv[2] ?? 5);
const size = Number(process.argv[3] ?? 500);
const pglite = new PGlite();
const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
await migrateToLatest(db);
const { id } = await db
  .insertInto('incidents')
  .values({ title: 'ceiling', severity: 'high', source: 'bench' })
  .returning('id')
  .executeTakeFirstOrThrow();
const rows = batchRows(id, size);
const end = performance.now() + seconds * 1000;
const cpu0 = process.cpuUsage();
let batches = 0;
// PGlite is one connection: statements run one after another whatever the client concurrency.
while (performance.now() < end) {
  const { sql, parameters } = batchStatement(rows, 'warroom');
  await pglite.query(sql, parameters);
  batches++;
}
const cpu = process.cpuUsage(cpu0);
// CPU of the insert loop alone: the machine-wide figure would also bill this process's start-up and PGlite's.
console.log(
  JSON.stringify({
    rows_per_second: (batches * size) / seconds,
    cpu_ms_per_batch: (cpu.user + cpu.system) / 1000 / Math.max(1, batches),
  }),
);
await db.destroy();
