// When a scheduled analysis runs: new incidents at once, bursts gathered, re-runs spaced by debounce and by cost.
import { describe, expect, it } from 'vitest';
import { delayBeforeRun } from '../src/analysis/service.js';

describe('delayBeforeRun', () => {
  const now = 1_000_000;

  it('runs a new incident at once and gathers the first burst after a quiet spell for 100 ms', () => {
    expect(delayBeforeRun('create', now, now - 10, 5_000, 2000)).toBe(0);
    expect(delayBeforeRun('ingest', now, 0, 0, 2000)).toBe(100);
  });

  it('waits out the debounce after a cheap run', () => {
    // Last run 500 ms ago took 10 ms: the 2 s debounce is the longer gap.
    expect(delayBeforeRun('ingest', now, now - 500, 10, 2000)).toBe(1500);
  });

  it('spaces an expensive incident by 50x its last run', () => {
    // Last run 1 s ago took 150 ms: the next waits until 7.5 s after it.
    expect(delayBeforeRun('ingest', now, now - 1000, 150, 2000)).toBe(6500);
    // Long past the gap: only the gathering delay.
    expect(delayBeforeRun('ingest', now, now - 60_000, 150, 2000)).toBe(100);
  });
});
