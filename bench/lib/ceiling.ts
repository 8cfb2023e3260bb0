// The database's own ceiling for batch ingest: the very statements Warroom sends for a batch of an incident it knows
// (src/db/events.ts: NEXT_SEQS_SQL, then COPY_EVENTS_SQL with the rows as COPY text; every batch of at least
// COPY_MIN_EVENTS after an incident's first), straight through `pg`, so the ratio is Warroom's own overhead over the
// database doing identical work. For comparison, the same rows as a classic multi-row VALUES list (one parameter per
// column per row). Every ceiling statement but the COPY is named (server-side prepared), as Warroom's are.
import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { runCopy } from '../../src/db/copy-statements.js';
import { COPY_EVENTS_SQL, copyEventRows, newEventId, NEXT_SEQS_SQL, type EventInsert } from '../../src/db/events.js';
import type { Database } from '../../src/db/types.js';
import { uuidV7 } from '../../src/db/uuid-v7.js';

type Rows = Array<Omit<EventInsert, 'id'>>;

/** A multi-row VALUES insert of `rows` (ids from the column default) and its parameters, compiled by Kysely. */
export function valuesStatement(rows: Rows): { sql: string; parameters: unknown[] } {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ max: 1 }) }) });
  const compiled = db
    .insertInto('events')
    .values(rows.map((r) => ({ ...r, metadata: JSON.stringify(r.metadata) })))
    .returningAll()
    .compile();
  void db.destroy();
  return { sql: compiled.sql, parameters: [...compiled.parameters] };
}

/** Writes `rows` as Warroom writes a batch of a known incident: its seqs taken, then one COPY. Fresh ids each time. */
export async function warroomBatch(client: pg.Client, rows: Rows): Promise<void> {
  const withIds = rows.map((r) => ({ id: newEventId(), ...r }));
  const taken = await client.query<{ seqs: string }>({
    name: 'ceiling_seqs',
    text: NEXT_SEQS_SQL,
    values: [rows.length],
  });
  const seqs = taken.rows[0]?.seqs.split(',') ?? [];
  await runCopy(client, COPY_EVENTS_SQL, copyEventRows(withIds, seqs, null));
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

/** Rows per second that `workers` connections sustain, each writing batches back to back (Warroom's way or VALUES). */
export async function pgCeiling(
  url: string,
  rows: Rows,
  workers: number,
  seconds: number,
  form: 'warroom' | 'values' = 'warroom',
): Promise<number> {
  // The VALUES form is compiled once (its ids come from the column default); Warroom's gets fresh ids per batch.
  const values = form === 'values' ? valuesStatement(rows) : undefined;
  const clients = await openClients(url, workers);
  const end = performance.now() + seconds * 1000;
  let batches = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < end) {
        if (values) await c.query({ name: 'ceiling_values', text: values.sql, values: values.parameters });
        else await warroomBatch(c, rows);
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

/** How a ceiling's rows get their ids: random (v4, `gen_random_uuid()`'s kind) or time-ordered (v7, Warroom's). */
export type IdKind = 'random' | 'v7';
const ID_MAKERS: Record<IdKind, () => string> = { random: randomUUID, v7: uuidV7 };

/** The rows as eight column arrays, with fresh ids of the given kind, for unnestInsert. */
export function unnestColumns(rows: Rows, ids: IdKind): unknown[] {
  const id = ID_MAKERS[ids];
  return [
    rows.map(() => id()),
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
 * `(incident_id, timestamp)` index; no `seq`, `xact`, `actor` or `received_at`, not partitioned) filled with one
 * `unnest` statement per batch, the fastest bulk form short of COPY. One table per id kind, made in Warroom's
 * database by `open()` and kept until `drop()`: it grows through the phase as Warroom's events table does, since a
 * B-tree's insert cost depends on its size (random keys most: docs/performance.md), and a ceiling measured on an empty
 * table each run would compare table sizes, not schemas.
 */
export class MinimalTable {
  private constructor(
    private readonly admin: pg.Client,
    private readonly table: string,
    private readonly ids: IdKind,
  ) {}

  static async open(url: string, ids: IdKind): Promise<MinimalTable> {
    const admin = new pg.Client({ connectionString: url });
    // Idle through the phase: a lost connection (the scratch database dropped) must not throw from an event emitter.
    admin.on('error', () => undefined);
    await admin.connect();
    const table = `bench_minimal_events_${ids}`;
    await admin.query(`drop table if exists ${table}`);
    await admin.query(`create table ${table} (
      id uuid primary key, incident_id uuid not null, event_type text not null, message text not null,
      level text not null, source text not null, metadata jsonb not null, "timestamp" timestamptz not null)`);
    await admin.query(`create index ${table}_incident_ts on ${table} (incident_id, "timestamp")`);
    return new MinimalTable(admin, table, ids);
  }

  /** Rows per second that `workers` connections sustain, each sending the unnest statement back to back. */
  async ceiling(url: string, rows: Rows, workers: number, seconds: number): Promise<number> {
    const statement = unnestInsert(this.table);
    const clients = await openClients(url, workers);
    const end = performance.now() + seconds * 1000;
    let batches = 0;
    try {
      await Promise.all(
        clients.map(async (c) => {
          while (performance.now() < end) {
            await c.query({ name: `ceiling_${this.table}`, text: statement, values: unnestColumns(rows, this.ids) });
            batches++;
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    return (batches * rows.length) / seconds;
  }

  /** The rows the table holds now. */
  rows(url: string): Promise<number> {
    return tableRows(url, this.table);
  }

  /** Drops the table and closes the connection; best effort (it runs in `finally`, after a failure too). */
  async drop(): Promise<void> {
    try {
      await this.admin.query(`drop table if exists ${this.table}`);
    } finally {
      await this.admin.end().catch(() => undefined);
    }
  }
}

/** The rows `table` holds now (a count, for the record beside a ceiling). */
export async function tableRows(url: string, table: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(`select count(*)::text as n from ${table}`);
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}
