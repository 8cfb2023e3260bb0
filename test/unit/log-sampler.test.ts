// LogSampler (src/log-sampler.ts): the first occurrence of a message in each window is logged, with how many the
// window before it left out.
import { describe, expect, it } from 'vitest';
import { LogSampler } from '../../src/log-sampler.js';

describe('LogSampler', () => {
  it('logs the first occurrence per window and counts the rest into the next logged one', () => {
    const sampler = new LogSampler(1_000);
    expect(sampler.take('503', 0)).toEqual({ suppressed: 0 });
    for (let t = 1; t < 1_000; t += 100) expect(sampler.take('503', t)).toBeUndefined();
    expect(sampler.take('503', 1_000)).toEqual({ suppressed: 10 });
    expect(sampler.take('503', 1_500)).toBeUndefined();
    // Keys are apart.
    expect(sampler.take('analysis', 1_500)).toEqual({ suppressed: 0 });
    expect(sampler.take('503', 5_000)).toEqual({ suppressed: 1 });
  });

  it('keeps at most 64 keys; the rest share one', () => {
    const sampler = new LogSampler(1_000);
    for (let k = 0; k < 64; k++) expect(sampler.take(`k${k}`, 0)).toEqual({ suppressed: 0 });
    expect(sampler.take('k64', 0)).toEqual({ suppressed: 0 });
    expect(sampler.take('k65', 0)).toBeUndefined();
  });
});
