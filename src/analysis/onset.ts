// Finds when an incident really started: the first sustained burst of warnings and errors, not the first stray warning.
import { LEVEL_RANK, type TimedEvent } from './evidence.js';

export interface Onset {
  /** Epoch ms of the first bad event of the first burst. */
  at: number;
  /** Epoch ms of the last bad event. */
  lastBad: number;
}

const MINUTE = 60_000;

/** Below this many bad events there is no burst to find; the first error is the onset. */
const MIN_EVENTS_FOR_BURSTS = 12;
const MAX_BUCKETS = 5000;

/** Errors count fully, warnings half: background noise is mostly warnings. */
function badness(level: TimedEvent['event']['level']): number {
  const rank = LEVEL_RANK[level];
  return rank >= 3 ? 1 + (rank - 3) * 0.5 : rank === 2 ? 0.5 : 0;
}

export function detectOnset(events: readonly TimedEvent[]): Onset | undefined {
  const bad = events.filter((e) => badness(e.event.level) > 0);
  const first = bad[0];
  const last = bad[bad.length - 1];
  if (first === undefined || last === undefined) return undefined;
  const base = { lastBad: last.ts };
  if (bad.length < MIN_EVENTS_FOR_BURSTS) {
    const firstError = bad.find((e) => LEVEL_RANK[e.event.level] >= 3) ?? first;
    return { at: firstError.ts, ...base };
  }
  // ~60 buckets over the incident, never finer than 30 s (noise) nor coarser than 5 min (blur),
  // unless events span weeks: then at most MAX_BUCKETS, so memory stays bounded.
  const span = Math.max(1, last.ts - first.ts);
  const width = Math.max(span / MAX_BUCKETS, Math.min(5 * MINUTE, Math.max(MINUTE / 2, span / 60)));
  const buckets: number[] = new Array<number>(Math.floor(span / width) + 1).fill(0);
  for (const e of bad) {
    const b = Math.floor((e.ts - first.ts) / width);
    buckets[b] = (buckets[b] ?? 0) + badness(e.event.level);
  }
  const peak = buckets.reduce((m, c) => Math.max(m, c), 0);
  // A burst is a bucket at a fifth of the peak rate that the next bucket sustains.
  const threshold = Math.max(1.5, 0.2 * peak);
  let onsetBucket = buckets.findIndex((c, b) => c >= threshold && c + (buckets[b + 1] ?? 0) >= 1.5 * threshold);
  if (onsetBucket < 0)
    onsetBucket = Math.max(
      0,
      buckets.findIndex((c) => c >= threshold),
    );
  onsetBucket = startOfRun(buckets, onsetBucket);
  const bucketStart = first.ts + onsetBucket * width;
  const opener = bad.find((e) => e.ts >= bucketStart) ?? first;
  return { at: opener.ts, ...base };
}

/**
 * Floods ramp up: the bucket that crosses a fifth of the peak is already inside the burst.
 * Walk back over the contiguous run of buckets above the background level (tolerating one
 * quiet bucket, since a ramp starts sparse) to where the burst really began.
 */
function startOfRun(buckets: readonly number[], from: number): number {
  const sorted = [...buckets].sort((a, b) => a - b);
  const background = sorted[Math.floor(sorted.length / 4)] ?? 0;
  // One stray error (1) or a couple of warnings is background; a burst is more than that.
  const elevated = Math.max(1.5, 2 * background + 0.5);
  let b = from;
  while (b > 0) {
    if ((buckets[b - 1] ?? 0) >= elevated) b -= 1;
    else if (b > 1 && (buckets[b - 2] ?? 0) >= elevated) b -= 2;
    else break;
  }
  return b;
}
