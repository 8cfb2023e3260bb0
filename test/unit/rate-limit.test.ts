// Token buckets: a burst, then the refill rate; a quiet caller refills to the burst and no further.
import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../src/http/rate-limit.js';

describe('TokenBuckets', () => {
  it('allows a burst, then refills at the rate, and says when to retry', () => {
    const b = new TokenBuckets({ perSecond: 2, burst: 3 });
    expect([0, 0, 0].map((t) => b.take('k', 1, t).ok)).toEqual([true, true, true]);
    const refused = b.take('k', 1, 0);
    expect(refused).toEqual({ ok: false, remaining: 0, retryAfter: 1 });
    expect(b.take('k', 1, 500).ok).toBe(true);
    expect(b.take('k', 1, 500).ok).toBe(false);
    expect(b.take('other', 1, 500).ok).toBe(true);
    expect(b.take('k', 1, 60_000).remaining).toBe(2);
  });

  it('charges a tRPC batch one token per call (a batch of 400 cannot pass as one request)', () => {
    const b = new TokenBuckets({ perSecond: 1, burst: 3 });
    expect(b.take('k', 2, 0)).toMatchObject({ ok: true, remaining: 1 });
    expect(b.take('k', 2, 0).ok).toBe(false);
    // More calls than the burst never pass, even from a full bucket.
    expect(b.take('fresh', 400, 0).ok).toBe(false);
    expect(b.take('fresh', 3, 0).ok).toBe(true);
  });
});
