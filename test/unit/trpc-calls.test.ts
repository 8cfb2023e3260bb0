// Which procedures a /trpc URL calls, read as tRPC's fetch adapter reads it (src/http/rate-limit.ts trpcCalls): the
// rate limit and the stream limit count what tRPC will run, under every spelling it accepts.
import { describe, expect, it } from 'vitest';
import { trpcCalls } from '../../src/http/rate-limit.js';

const calls = (path: string): string[] => trpcCalls(new URL(`http://localhost${path}`));

describe('trpcCalls', () => {
  it('reads one call, trimming one slash off the end as tRPC does', () => {
    expect(calls('/trpc/incidents.get')).toEqual(['incidents.get']);
    expect(calls('/trpc/incidents.get/')).toEqual(['incidents.get']);
    // tRPC trims one slash only: this names a procedure `/incidents.get`, which does not exist.
    expect(calls('/trpc//incidents.get')).toEqual(['/incidents.get']);
  });

  it('decodes escapes before splitting a batch, and splits only a batch', () => {
    expect(calls('/trpc/incidents%2Eget')).toEqual(['incidents.get']);
    expect(calls('/trpc/a.b%2Cc.d?batch=1')).toEqual(['a.b', 'c.d']);
    expect(calls('/trpc/a.b,c.d/?batch=1')).toEqual(['a.b', 'c.d']);
    expect(calls('/trpc/a.b,c.d')).toEqual(['a.b,c.d']);
  });

  it('counts an escape tRPC cannot decode as one call', () => {
    expect(calls('/trpc/a.b%E0%A4%A')).toEqual(['a.b%E0%A4%A']);
  });
});
