// The compiled-silence cache (src/alerts/silence-matchers.ts): each silence is compiled once per process, the cache
// keeps only the silences in force, and a batch of costly silences gives the event loop back between them.
import { describe, expect, it } from 'vitest';
import { compileSilences, silencedBy } from '../../src/alerts/silence-matchers.js';
import type { SilenceRow } from '../../src/db/types.js';

let n = 0;
const silence = (matchers: SilenceRow['matchers']): SilenceRow => ({
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  matchers,
  starts_at: new Date(0),
  ends_at: new Date(Date.now() + 60_000),
  comment: 'c',
  created_by: 'me',
  created_at: new Date(0),
  updated_at: new Date(0),
  released_at: null,
});
const plain = (name: string, value: string) => ({ name, value, is_regex: false, is_equal: true });
// A Unicode class repeated 99 times: tens of milliseconds for re2js to compile (docs/alerts.md, silences).
const costly = (i: number) => ({ name: `n${i}`, value: `\\p{L}{99}z${i}`, is_regex: true, is_equal: true });

describe('compileSilences', () => {
  it('compiles a silence once: the same matchers come back while it stays in force', async () => {
    const a = silence([plain('env', 'prod')]);
    const b = silence([plain('team', 'db')]);
    const first = await compileSilences([a, b]);
    const again = await compileSilences([b, a]);
    expect(again.find((s) => s.id === a.id)?.matchers).toBe(first.find((s) => s.id === a.id)?.matchers);
    expect(again.find((s) => s.id === b.id)?.matchers).toBe(first.find((s) => s.id === b.id)?.matchers);
    expect(silencedBy(again, { env: 'prod' })).toBe(a.id);
    expect(silencedBy(again, { env: 'dev' })).toBeUndefined();
  });

  it('forgets a silence no longer in force, and compiles a row whose matchers differ anew', async () => {
    const a = silence([plain('env', 'prod')]);
    const first = await compileSilences([a]);
    await compileSilences([]);
    const back = await compileSilences([a]);
    expect(back[0]?.matchers).not.toBe(first[0]?.matchers);
    const changed = { ...a, matchers: [plain('env', 'staging')] };
    const after = await compileSilences([changed]);
    expect(silencedBy(after, { env: 'staging' })).toBe(a.id);
    expect(silencedBy(after, { env: 'prod' })).toBeUndefined();
  });

  it('a row that does not compile matches nothing', async () => {
    const bad = silence([{ name: 'x', value: '(', is_regex: true, is_equal: true }]);
    expect(await compileSilences([bad])).toEqual([]);
  });

  it('gives the event loop back between costly silences', async () => {
    const rows = [0, 1, 2].map((k) => silence(Array.from({ length: 8 }, (_, i) => costly(k * 10 + i))));
    const order: string[] = [];
    setImmediate(() => order.push('other work'));
    await compileSilences(rows).then(() => order.push('compiled'));
    expect(order).toEqual(['other work', 'compiled']);
  });
});
