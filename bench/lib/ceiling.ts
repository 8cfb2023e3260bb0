// The database's own ceiling for batch ingest: the very statement Warroom sends for a batch of an incident it knows
// (src/db/events.ts, INSERT_KNOWN_EVENTS_SQL: every batch after an incident's first),
// straight through `pg`, so the ratio is Warroom's own overhead over the database doing identical work. For
// comparison, the same rows as a classic multi-row VALUES list (one parameter per column per row). Every ceiling
// statement is named (server-side prepared), as Warroom's is.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { INSERT_KNOWN_EVENTS_SQL, newEventId, type EventInsert } from '../../src/db/events.js';
import type { Database } from '../../src/db/types.js';

type Rows = Array<Omit<EventInsert, 'id'>>;

/** One batch's statement and parameters. Fresh ids each time, as every batch the server writes has. */
export function batchStatement(rows: Rows, form: 'warroom' | 'values'): { sql: string; parameters: unknown[] } {
  if (form === 'warroom') {
    return {
      sql: INSERT_KNOWN_EVENTS_SQL,
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

/** `n` connected clients on `url`. */
function openClients(url: string, n: number): Promise<pg.Client[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    }),
  );
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
  const clients = await openClients(url, workers);
  const end = performance.now() + seconds * 1000;
  let batches = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < end) {
        const { sql, parameters } = fixed ?? batchStatement(rows, 'warroom');
        // Named, as Warroom runs this statement (src/db/named-statements.ts).
        await c.query({ name: `ceiling_${form}`, text: sql, values: parameters });
        batches++;
      }
    }),
  );
  await Promise.all(clients.map((c) => c.end()));
  return (batches * rows.length) / seconds;
}

/** One `unnest` insert of a minimal events table's eight columns into `table`; its parameters: unnestColumns. */
export const unnestInsert = (table: string): string =>
  `insert into ${table} select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
     $6::text[], $7::jsonb[], $8::timestamptz[])`;

/** The rows as eight column arrays, with fresh ids, for unnestInsert. */
export function unnestColumns(rows: Rows): unknown[] {
  return [
    rows.map(() => newEventId()),
    rows.map((r) => r.incident_id),
    rows.map((r) => r.event_type),
    rows.map((r) => r.message),
    rows.map((r) => r.level),
    rows.map((r) => r.source),
    rows.map((r) => JSON.stringify(r.metadata)),
    rows.map((r) => r.timestamp),
  ];
}

/**
 * The physical ceiling issue 18 compares against: a minimal events table (the same columns, a primary key and one
 * `(incident_id, timestamp)` index; no `seq`, `xact` or `actor`, no foreign key) filled with one `unnest` statement
 * per batch, the fastest bulk form short of COPY. Made in Warroom's database for the run and dropped after it.
 */
export async function minimalTableCeiling(url: string, rows: Rows, workers: number, seconds: number): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create table if not exists bench_minimal_events (
    id uuid primary key, incident_id uuid not null, event_type text not null, message text not null,
    level text not null, source text not null, metadata jsonb not null, "timestamp" timestamptz not null)`);
  await admin.query(
    'create index if not exists bench_minimal_events_incident_ts on bench_minimal_events (incident_id, "timestamp")',
  );
  const columns = (): unknown[] => unnestColumns(rows);
  const statement = unnestInsert('bench_minimal_events');
  const clients = await openClients(url, workers);
  const end = performance.now() + seconds * 1000;
  let batches = 0;
  try {
    await Promise.all(
      clients.map(async (c) => {
        while (performance.now() < end) {
          await c.query({ name: 'ceiling_minimal', text: statement, values: columns() });
          batches++;
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await admin.query('drop table if exists bench_minimal_events');
    await admin.end();
  }
  return (batches * rows.length) / seconds;
}
