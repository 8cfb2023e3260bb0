// Keeps the events table's partitions made ahead and, with EVENT_RETENTION_DAYS, drops the expired ones: once at
// start and then hourly, on every instance (they take turns through an advisory lock). After the start's round, and
// in every later one, it builds the partition indexes a migration left pending (src/db/partition-indexes.ts).
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, needsOperator } from './db/errors.js';
import { maintainEventPartitions } from './db/event-partitions.js';
import { connectPostgres } from './db/postgres.js';
import type { Database } from './db/types.js';
import type { Metrics } from './metrics.js';

/** How long stop() waits for a cancelled index build to end before shutdown goes on without it. */
const BUILD_STOP_GRACE_MS = 3_000;

export interface PartitionMaintenance {
  /**
   * Stops the hourly round and waits for one under way: each partition step gives up on a lock after 2 s, and an
   * index build under way is cancelled.
   */
  stop(): Promise<void>;
}

/**
 * Runs one round now (awaited, so a new server has this week's partition before it takes requests), then one that
 * also builds pending partition indexes (not awaited), and one every `intervalMs` (default an hour). A failed round
 * is logged and tried again at the next; it never stops the server: until partitions are made, the default partition
 * takes the rows, and until an index is built on a partition, reads there go without it.
 */
export async function startPartitionMaintenance(opts: {
  db: Kysely<Database>;
  retentionDays: number | undefined;
  metrics: Metrics;
  logger: Logger;
  intervalMs?: number;
  /** The database URL index builds connect to on a connection of their own (see maintainEventPartitions' buildDb). */
  buildUrl?: string;
}): Promise<PartitionMaintenance> {
  const { db, retentionDays, metrics, logger } = opts;
  let running: Promise<void> | undefined;
  const stopping = new AbortController();
  let building: number | undefined;
  const round = (buildIndexes: boolean): Promise<void> =>
    (running ??= (async () => {
      try {
        const started = performance.now();
        const buildDb =
          buildIndexes && opts.buildUrl
            ? connectPostgres(opts.buildUrl, {
                poolSize: 1,
                applicationName: 'warroom-index-build',
                preparedStatements: false,
                onConnectionError: (err) => logger.debug({ err }, 'index build connection ended'),
              })
            : undefined;
        const r = await maintainEventPartitions(db, {
          retentionDays,
          buildIndexes,
          signal: stopping.signal,
          onBuilding: (pid) => (building = pid),
          ...(buildDb ? { buildDb } : {}),
        }).finally(() => buildDb?.destroy());
        metrics.eventPartitionsDropped.inc(r.dropped.length);
        if (r.created.length > 0 || r.dropped.length > 0 || r.indexesBuilt.length > 0) {
          logger.info(
            {
              created: r.created,
              dropped: r.dropped,
              moved_from_default: r.moved,
              indexes_built: r.indexesBuilt,
              ms: Math.round(performance.now() - started),
            },
            'event partitions maintained',
          );
        }
      } catch (err) {
        const msg = 'event partition maintenance failed; trying again next round';
        // Shutting down cancelled it (an index build): expected, and the next start takes it up.
        if (stopping.signal.aborted) logger.debug({ err }, msg);
        else if (isDatabaseUnavailable(err) && !needsOperator(err)) logger.warn({ err }, msg);
        else logger.error({ err }, msg);
      } finally {
        running = undefined;
        building = undefined;
      }
    })());
  // Partitions first, awaited; the index builds after, in the background, since on a large table they take minutes.
  await round(false);
  void round(true);
  const timer = setInterval(() => void round(true), opts.intervalMs ?? 3_600_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      stopping.abort();
      // A build under way is cancelled rather than waited for: it leaves an invalid index that the next start's
      // round drops and builds again.
      if (building !== undefined) void sql`select pg_cancel_backend(${building})`.execute(db).catch(() => undefined);
      // A build's connection has no statement deadline (src/db/partition-indexes.ts), so on a database that stopped
      // answering neither the cancel nor the build comes back: past a grace, shutdown goes on without it (a frozen
      // database's test hung here).
      if (building === undefined) await running;
      else await Promise.race([running, new Promise((r) => setTimeout(r, BUILD_STOP_GRACE_MS).unref())]);
    },
  };
}
