// The database's own ceiling for batch ingest: the same multi-row INSERT Warroom sends, straight through `pg`.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database, NewEventRow } from '../../src/db/types.js';

/** Compiles exactly the statement src/db/events.ts sends for a batch (INSERT … VALUES …, … RETURNING *). */
export function batchInsertSql(rows: NewEventRow[]): { sql: string; parameters: readonly unknown[] } {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ max: 1 }) }) });
  const compiled = db.insertInto('events').values(rows).returningAll().compile();
  void db.destroy();
  return { sql: compiled.sql, parameters: compiled.parameters };
}

/** Rows per second that `workers` connections sustain, each sending the batch statement back to back. */
export async function pgCeiling(url: string, rows: NewEventRow[], workers: number, seconds: number): Promise<number> {
  const { sql, parameters } = batchInsertSql(rows);
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
        await c.query(sql, [...parameters]);
        batches++;
      }
    }),
  );
  await Promise.all(clients.map((c) => c.end()));
  return (batches * rows.length) / seconds;
}
