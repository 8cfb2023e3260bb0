// The database's own ceiling for batch ingest: the very statement Warroom sends for a batch (src/db/events.ts),
// straight through `pg`, so the ratio is Warroom's own overhead over the database doing identical work. For
// comparison, the same rows as a classic multi-row VALUES list (one parameter per column per row).
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { INSERT_EVENTS_SQL, newEventId, type EventInsert } from '../../src/db/events.js';
import type { Database } from '../../src/db/types.js';

type Rows = Array<Omit<EventInsert, 'id'>>;

/** One batch's statement and parameters. Fresh ids each time, as every batch the server writes has. */
export function batchStatement(rows: Rows, form: 'warroom' | 'values'): { sql: string; parameters: unknown[] } {
  if (form === 'warroom') {
    return {
      sql: INSERT_EVENTS_SQL,
      parameters: [JSON.stringify(rows.map((r) => ({ id: newEventId(), ...r }))), null],
    };
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ max: 1 }) }) });
  const compiled = db
    .insertInto('events')
    .values(rows.map((r) => ({ ...r, metadata: JSON.stringify(r.metadata) })))
    .returningAll()
    .compile();
  void db.destroy();
  return { sql: compiled.sql, parameters: [...compiled.parameters] };
}

/** Rows per second that `workers` connections sustain, each sending the batch statement back to back. */
export async function pgCeiling(
  url: string,
  rows: Rows,
  workers: number,
  seconds: number,
  form: 'warroom' | 'values' = 'warroom',
): Promise<number> {
  // The VALUES form is compiled once (its ids come from the column default); Warroom's is rebuilt per batch.
  const fixed = form === 'values' ? batchStatement(rows, 'values') : undefined;
  const clients = await Promise.all(
    Array.from({ length: workers }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
  const end = performance.now() + seconds * 1000;
  let batches = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < end) {
        const { sql, parameters } = fixed ?? batchStatement(rows, 'warroom');
        await c.query(sql, parameters);
        batches++;
      }
    }),
  );
  await Promise.all(clients.map((c) => c.end()));
  return (batches * rows.length) / seconds;
}
