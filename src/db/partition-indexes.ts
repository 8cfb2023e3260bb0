// Indexes a migration made on `events` alone (`create index … on only events`, e.g.
// migrations/2026-12-02T1400_events_arrival_index.ts), built here on each partition CONCURRENTLY and attached.
// Building an index on a partitioned table in one statement locks out every insert for the whole build (minutes on a
// large events table), and a migration cannot build CONCURRENTLY (it runs in a transaction). PostgreSQL marks the
// parent valid once every partition has an attached index; partitions attached later get one as they are attached
// (ATTACH PARTITION builds a missing one; ours are empty then). Runs inside partition maintenance, under its lock.
import { sql, type Kysely } from 'kysely';
import { withLongStatements } from './long-statements.js';
import type { Database } from './types.js';

/**
 * A concurrent build waits, in phases, for transactions older than it to end; behind one left open for good it would
 * hold partition maintenance's lock for good. Past this, the build fails and the next round starts it again.
 */
const BUILD_WAIT_TIMEOUT = '1min';
/** Attaching locks the parent index for an instant; as partition maintenance's other steps, give up after 2 s. */
const ATTACH_LOCK_TIMEOUT = '2s';

/** An index of `events` that some partitions lack: its name, its `USING …` clause, and the partitions to build. */
export interface PendingPartitionIndex {
  parent: string;
  using: string;
  partitions: string[];
}

/** The indexes of `events` not yet valid (made `on only`), each with the partitions that have no index attached to it. */
export async function pendingPartitionIndexes(db: Kysely<Database>): Promise<PendingPartitionIndex[]> {
  const { rows } = await sql<{ parent: string; def: string; partitions: string[] }>`
    select c.relname::text as parent, pg_get_indexdef(x.indexrelid) as def,
           array(
             select pc.relname::text from pg_inherits pi join pg_class pc on pc.oid = pi.inhrelid
             where pi.inhparent = 'events'::regclass
               and not exists (
                 select 1 from pg_inherits ii join pg_index cx on cx.indexrelid = ii.inhrelid
                 where ii.inhparent = x.indexrelid and cx.indrelid = pi.inhrelid)
             order by pc.relname) as partitions
    from pg_index x join pg_class c on c.oid = x.indexrelid
    where x.indrelid = 'events'::regclass and not x.indisvalid
    order by c.relname`.execute(db);
  return rows.flatMap((r) => {
    // pg_get_indexdef: "CREATE INDEX events_x_idx ON ONLY public.events USING btree (incident_id, …)".
    // Plain indexes only: a UNIQUE one built from its USING clause alone would lose its uniqueness and never attach.
    const using = /^CREATE INDEX \S+ ON ONLY \S+ (USING .+)$/.exec(r.def)?.[1];
    return using ? [{ parent: r.parent, using, partitions: r.partitions }] : [];
  });
}

/** The name of `parent`'s index on `partition`: `events_20261130_incident_arrival_idx` (at most 63 bytes). */
export const partitionIndexName = (partition: string, parent: string): string =>
  `${partition}_${parent.replace(/^events_/, '')}`.slice(0, 63);

/**
 * Builds and attaches every pending partition index (pendingPartitionIndexes) on `conn`, one connection outside any
 * transaction (CREATE INDEX CONCURRENTLY needs both), with no statement timeout while it builds. A build an earlier
 * round left invalid (cancelled, failed) is dropped and made again; one left valid but not attached is attached.
 * Stops between builds once `signal` is aborted; the caller cancels a build under way (pg_cancel_backend).
 * Returns the indexes made, as "partition index" names. Throws what the database throws.
 */
export async function buildPartitionIndexes(conn: Kysely<Database>, signal?: AbortSignal): Promise<string[]> {
  const built: string[] = [];
  for (const pending of await pendingPartitionIndexes(conn)) {
    for (const partition of pending.partitions) {
      if (signal?.aborted) return built;
      const name = partitionIndexName(partition, pending.parent);
      const { rows } = await sql<{ valid: boolean }>`
        select x.indisvalid as valid from pg_index x join pg_class c on c.oid = x.indexrelid
        where c.relname = ${name} and x.indrelid = ${partition}::regclass`.execute(conn);
      const found = rows[0];
      if (!found?.valid) {
        await withoutStatementTimeout(conn, async () => {
          if (found) await sql`drop index concurrently if exists ${sql.id(name)}`.execute(conn);
          await sql
            .raw(`create index concurrently ${quote(name)} on ${quote(partition)} ${pending.using}`)
            .execute(conn);
        });
        built.push(name);
      }
      await conn.transaction().execute(async (trx) => {
        await sql.raw(`set local lock_timeout = '${ATTACH_LOCK_TIMEOUT}'`).execute(trx);
        await sql`alter index ${sql.id(pending.parent)} attach partition ${sql.id(name)}`.execute(trx);
      });
    }
  }
  return built;
}

const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

/** Runs `work` with the session's statement_timeout off (and the pool's client-side deadline with it), then back. */
async function withoutStatementTimeout(conn: Kysely<Database>, work: () => Promise<void>): Promise<void> {
  await withLongStatements(conn, async () => {
    await sql.raw(`set lock_timeout = '${BUILD_WAIT_TIMEOUT}'`).execute(conn);
    await work();
  });
}
