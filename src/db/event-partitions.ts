// The events table's partitions (one a week by arrival time, migrations/2026-11-30T1000_events_partitioned.ts): made
// ahead of time, filled back from the default partition if they ever fell behind, and dropped whole by retention.
import { sql, type Kysely, type Transaction } from 'kysely';
import { buildPartitionIndexes } from './partition-indexes.js';
import type { Database } from './types.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Partitions are made this many weeks past the current one, so a server down for a week still finds one ready. */
export const PARTITION_WEEKS_AHEAD = 2;
/** One instance at a time maintains partitions; the others skip that round (pg_try_advisory_xact_lock). */
const MAINTENANCE_LOCK = 0x77617272; // 'warr'
/**
 * Making or dropping a partition locks the events table for an instant, but waiting for that lock behind a long
 * query would stall every insert queued behind us: give up after this long and try again next round.
 */
const LOCK_TIMEOUT = '2s';
/**
 * Events are read only in partitions that arrived after their incident was created, less this margin: an event
 * written in a transaction that began just before the incident was created has a slightly earlier arrival time.
 */
export const ARRIVAL_MARGIN_MS = DAY_MS;

/** One partition of `events`, bounds as arrival times; `null` for an unbounded side (the legacy partition). */
export interface EventPartition {
  name: string;
  isDefault: boolean;
  from: Date | null;
  to: Date | null;
}

/** The partitions of `events`, oldest first, the default partition last. */
export async function listEventPartitions(db: Kysely<Database>): Promise<EventPartition[]> {
  // The bound text quotes each timestamptz in the session's time zone, with its offset: cast back, it is exact.
  const { rows } = await sql<{ name: string; bound: string; from: Date | null; to: Date | null }>`
    select c.relname as name, b.bound,
           substring(b.bound from $re$FROM \\('([^']+)'\\)$re$)::timestamptz as "from",
           substring(b.bound from $re$TO \\('([^']+)'\\)$re$)::timestamptz as "to"
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    cross join lateral (select pg_get_expr(c.relpartbound, c.oid) as bound) b
    where i.inhparent = 'events'::regclass`.execute(db);
  return rows
    .map((r) => ({ name: r.name, isDefault: r.bound === 'DEFAULT', from: r.from, to: r.to }))
    .sort((a, b) => Number(a.isDefault) - Number(b.isDefault) || time(a.from) - time(b.from));
}

const time = (d: Date | null): number => (d === null ? -Infinity : d.getTime());

/** Monday 00:00 UTC of the ISO week holding `t` (partitions start on weeks, like PostgreSQL's date_trunc('week')). */
export function weekStart(t: Date): Date {
  const day = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate());
  const sinceMonday = (new Date(day).getUTCDay() + 6) % 7;
  return new Date(day - sinceMonday * DAY_MS);
}

/** `events_20261130`, or `events_20261130_101500` for a partition that starts inside a day. */
function partitionName(from: Date): string {
  const iso = from.toISOString();
  const date = iso.slice(0, 10).replaceAll('-', '');
  const clock = iso.slice(11, 19).replaceAll(':', '');
  return clock === '000000' ? `events_${date}` : `events_${date}_${clock}`;
}

/**
 * The ranges to make so that partitions cover every arrival from the newest existing bound (or the start of `now`'s
 * week) to the end of the week `PARTITION_WEEKS_AHEAD` after it. A newest bound more than a week behind `now` (every
 * instance was down) is closed with one partition up to this week, not with a partition for every empty week.
 */
export function missingRanges(
  existing: readonly EventPartition[],
  now: Date,
  weeksAhead = PARTITION_WEEKS_AHEAD,
): Array<{ from: Date; to: Date }> {
  const thisWeek = weekStart(now);
  const horizon = new Date(thisWeek.getTime() + (weeksAhead + 1) * WEEK_MS);
  const ends = existing.filter((p) => !p.isDefault && p.to !== null).map((p) => (p.to as Date).getTime());
  let from = ends.length > 0 ? new Date(Math.max(...ends)) : thisWeek;
  const out: Array<{ from: Date; to: Date }> = [];
  if (from < thisWeek) {
    out.push({ from, to: thisWeek });
    from = thisWeek;
  }
  while (from < horizon) {
    // The first may start inside a week (after the migration's partition); every later one is a whole week.
    const to = new Date(weekStart(from).getTime() + WEEK_MS);
    out.push({ from, to });
    from = to;
  }
  return out;
}

export interface MaintenanceResult {
  /** False when another instance held the maintenance lock: it does this round. */
  ran: boolean;
  created: string[];
  dropped: string[];
  /** How long each drop took (ms), in the order of `dropped`. */
  dropMs: number[];
  /** Rows moved out of the default partition into partitions made for them. */
  moved: number;
  /** Partition indexes built (./partition-indexes.ts), when asked for. */
  indexesBuilt: string[];
}

/**
 * Makes the partitions missing up to `PARTITION_WEEKS_AHEAD` weeks ahead and, when `retentionDays` is set, drops
 * every partition whose newest possible arrival is more than `retentionDays` days before `now` (whole partitions
 * only: events live between `retentionDays` and `retentionDays` + 7 days). One transaction per partition, each
 * under LOCK_TIMEOUT; several instances on one database take turns through an advisory lock. With `buildIndexes`,
 * then builds the partition indexes a migration left pending (./partition-indexes.ts). Throws what the database
 * throws (the caller logs it and tries again next round).
 */
export async function maintainEventPartitions(
  db: Kysely<Database>,
  opts: {
    now?: Date;
    retentionDays?: number | undefined;
    /** Also build the partition indexes a migration left pending (minutes on a large table; not at start-up). */
    buildIndexes?: boolean;
    /** Stops index building between builds; with `onBuilding`'s pid, the caller cancels the one under way. */
    signal?: AbortSignal;
    /** Told the backend pid of the session building indexes, before it starts. */
    onBuilding?: (pid: number) => void;
    /**
     * Where the builds run, when not on `db`: a build holds its connection for minutes, which a request pool of one
     * (DB_POOL_SIZE=1) cannot spare, and a cancel at shutdown needs `db` free.
     */
    buildDb?: Kysely<Database>;
  } = {},
): Promise<MaintenanceResult> {
  const now = opts.now ?? new Date();
  const result: MaintenanceResult = { ran: false, created: [], dropped: [], dropMs: [], moved: 0, indexesBuilt: [] };
  await db.connection().execute(async (conn) => {
    // A session lock, so each partition can have its own short transaction; released before the connection returns.
    const locked = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${MAINTENANCE_LOCK}) as ok`.execute(conn);
    if (locked.rows[0]?.ok !== true) return;
    result.ran = true;
    try {
      for (const range of missingRanges(await listEventPartitions(conn), now)) {
        const name = partitionName(range.from);
        result.moved += await conn.transaction().execute((trx) => createPartition(trx, name, range));
        result.created.push(name);
      }
      if (opts.retentionDays !== undefined) {
        const cutoff = now.getTime() - opts.retentionDays * DAY_MS;
        for (const p of await listEventPartitions(conn)) {
          if (p.isDefault || p.to === null || p.to.getTime() > cutoff) continue;
          const started = performance.now();
          await conn.transaction().execute(async (trx) => {
            await sql.raw(`set local lock_timeout = '${LOCK_TIMEOUT}'`).execute(trx);
            await sql`drop table ${sql.table(p.name)}`.execute(trx);
          });
          result.dropped.push(p.name);
          result.dropMs.push(performance.now() - started);
        }
      }
    } finally {
      await sql`select pg_advisory_unlock(${MAINTENANCE_LOCK})`.execute(conn);
    }
  });
  // The builds take the same lock, on their own connection when given one (a build holds it for minutes, which a
  // request pool of one cannot spare): a build's attach and a partition's attach in two sessions can deadlock (seen
  // in a test making a partition during a build). A long build makes other instances skip their rounds meanwhile;
  // partitions are made two weeks ahead for that.
  if (opts.buildIndexes && !opts.signal?.aborted) {
    await (opts.buildDb ?? db).connection().execute(async (builder) => {
      const locked = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${MAINTENANCE_LOCK}) as ok`.execute(
        builder,
      );
      if (locked.rows[0]?.ok !== true) return;
      try {
        const pid = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(builder);
        opts.onBuilding?.(pid.rows[0]?.pid ?? 0);
        result.indexesBuilt = await buildPartitionIndexes(builder, opts.signal);
      } finally {
        await sql`select pg_advisory_unlock(${MAINTENANCE_LOCK})`.execute(builder);
      }
    });
  }
  return result;
}

/**
 * Makes one partition as a plain table, moves into it any rows the default partition caught for its range, then
 * attaches it (attaching, unlike CREATE TABLE … PARTITION OF, locks readers and writers out only for the instant it
 * checks the default partition). Returns how many rows moved.
 */
async function createPartition(trx: Transaction<Database>, name: string, range: { from: Date; to: Date }) {
  await sql.raw(`set local lock_timeout = '${LOCK_TIMEOUT}'`).execute(trx);
  const table = sql.table(name);
  const [from, to] = [range.from.toISOString(), range.to.toISOString()];
  await sql`create table ${table} (like events including defaults including constraints)`.execute(trx);
  const moved = await sql`
    with moved as (
      delete from events_default where received_at >= ${from}::timestamptz and received_at < ${to}::timestamptz
      returning *
    )
    insert into ${table} select * from moved`.execute(trx);
  await sql`alter table events attach partition ${table} for values from (${sql.lit(from)}) to (${sql.lit(to)})`.execute(
    trx,
  );
  return Number(moved.numAffectedRows ?? 0);
}
