// One log line per window for a message that can repeat thousands of times a second: during a database outage every
// request is refused with the same 503 and every analysis fails the same way, and an operations review counted
// ~800 identical lines a second per instance, enough to flood a log pipeline on the worst day (2026-12-02). The
// first occurrence in each window is logged, with how many the previous window left out; /metrics counts them all.

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
