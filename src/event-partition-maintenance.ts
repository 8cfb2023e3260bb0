// Keeps the events table's partitions made ahead and, with EVENT_RETENTION_DAYS, drops the expired ones: once at
// start and then hourly, on every instance (they take turns through an advisory lock).
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, needsOperator } from './db/errors.js';
import { maintainEventPartitions } from './db/event-partitions.js';
import type { Database } from './db/types.js';
import type { Metrics } from './metrics.js';

export interface PartitionMaintenance {
  /** Stops the hourly round and waits for one under way (each of its steps gives up on a lock after 2 s). */
  stop(): Promise<void>;
}

/**
 * Runs one round now (awaited, so a new server has this week's partition before it takes requests) and one every
 * `intervalMs` (default an hour). A failed round is logged and tried again at the next; it never stops the server:
 * until partitions are made, the default partition takes the rows.
 */
export async function startPartitionMaintenance(opts: {
  db: Kysely<Database>;
  retentionDays: number | undefined;
  metrics: Metrics;
  logger: Logger;
  intervalMs?: number;
}): Promise<PartitionMaintenance> {
  const { db, retentionDays, metrics, logger } = opts;
  let running: Promise<void> | undefined;
  const round = (): Promise<void> =>
    (running ??= (async () => {
      try {
        const started = performance.now();
        const r = await maintainEventPartitions(db, { retentionDays });
        metrics.eventPartitionsDropped.inc(r.dropped.length);
        if (r.created.length > 0 || r.dropped.length > 0) {
          logger.info(
            {
              created: r.created,
              dropped: r.dropped,
              moved_from_default: r.moved,
              ms: Math.round(performance.now() - started),
            },
            'event partitions maintained',
          );
        }
      } catch (err) {
        const msg = 'event partition maintenance failed; trying again next round';
        if (isDatabaseUnavailable(err) && !needsOperator(err)) logger.warn({ err }, msg);
        else logger.error({ err }, msg);
      } finally {
        running = undefined;
      }
    })());
  await round();
  const timer = setInterval(() => void round(), opts.intervalMs ?? 3_600_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
