// One log line per window for a message that can repeat thousands of times a second: during a database outage every
// request is refused with the same 503 and every analysis fails the same way, and an operations review counted
// ~800 identical lines a second per instance, enough to flood a log pipeline on the worst day (2026-12-02). The
// first occurrence in each window is logged, with how many the previous window left out; /metrics counts them all.
import type { Logger } from 'pino';
import { failureKind, needsOperator } from './db/errors.js';

/** Decides, per message key, whether this occurrence is logged. */
export class LogSampler {
  private readonly windows = new Map<string, { start: number; dropped: number }>();
  /** Keys beyond this many share one ('other'), so keys taken from errors cannot grow the map without bound. */
  private static readonly MAX_KEYS = 64;

  constructor(private readonly windowMs = 1_000) {}

  /**
   * Whether to log this occurrence of `key` now (the first in its window), and how many occurrences were left out
   * since the last logged one; undefined when this one is left out too.
   */
  take(key: string, now = performance.now()): { suppressed: number } | undefined {
    // A monotonic clock: after a step back of the wall clock, Date.now() would have silenced every key for as long.
    if (!this.windows.has(key) && this.windows.size >= LogSampler.MAX_KEYS) key = 'other';
    const w = this.windows.get(key);
    if (w && now - w.start < this.windowMs) {
      w.dropped++;
      return undefined;
    }
    this.windows.set(key, { start: now, dropped: 0 });
    return { suppressed: w?.dropped ?? 0 };
  }
}

/** What a refusal's log lines say: for a database briefly away, and for one only an operator can mend. */
export interface RefusalMessages {
  away: string;
  operator: string;
}

/**
 * Logs a failure the database caused (isDatabaseUnavailable) at most once per `sampler` window per kind
 * (failureKind: its SQLSTATE or system code), with how many were left out: as an error when only an operator can
 * mend it (needsOperator: tables or grants gone, read-only, disk full, the database's own errors), else as a
 * warning. Every place that meets the database away logs through this, so an outage's log stays bounded whatever
 * the load (request refusals, tRPC, analyses, chat, background jobs) and what needs a person is always an error.
 */
export function logRefusal(
  sampler: LogSampler,
  logger: Pick<Logger, 'warn' | 'error'>,
  err: unknown,
  fields: Record<string, unknown>,
  messages: RefusalMessages,
): void {
  const kind = failureKind(err);
  const logged = sampler.take(kind);
  if (!logged) return;
  // The kind (a SQLSTATE) as a field of its own: the error logged may be a wrapper whose own code says less.
  if (needsOperator(err)) logger.error({ err, kind, ...fields, ...logged }, messages.operator);
  else logger.warn({ err, kind, ...fields, ...logged }, messages.away);
}
