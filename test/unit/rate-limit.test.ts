// Token buckets: a burst, then the refill rate; a quiet caller refills to the burst and no further.
import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../src/http/rate-limit.js';

describe('TokenBuckets', () => {
  it('allows a burst, then refills at the rate, and says when to retry', () => {
    const b = new TokenBuckets({ perSecond: 2, burst: 3 });
    expect([0, 0, 0].map((t) => b.take('k', t).ok)).toEqual([true, true, true]);
    const refused = b.take('k', 0);
    expect(refused).toEqual({ ok: false, remaining: 0, retryAfter: 1 });
    expect(b.take('k', 500).ok).toBe(true);
    expect(b.take('k', 500).ok).toBe(false);
    expect(b.take('other', 500).ok).toBe(true);
    expect(b.take('k', 60_000).remaining).toBe(2);
  });
});
