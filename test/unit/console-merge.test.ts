// The console's merge of live changes into sorted lists (console/src/live/merge.ts): a changed item keeps its place
// among items whose sort keys tie with it, so two equal-priority actions do not swap when one changes status.
import { describe, expect, it } from 'vitest';
import { merge } from '../../console/src/live/merge.js';

interface Item {
  id: string;
  priority: number;
  status: string;
}
const byPriority = (a: Item, b: Item): number => a.priority - b.priority;

describe('merge', () => {
  it('replaces an item in its place when its sort keys tie with others', () => {
    const items: Item[] = [
      { id: 'a', priority: 1, status: 'pending' },
      { id: 'b', priority: 1, status: 'pending' },
      { id: 'c', priority: 2, status: 'pending' },
    ];
    const out = merge(items, [{ id: 'a', priority: 1, status: 'in_progress' }], byPriority);
    expect(out.map((i) => `${i.id}:${i.status}`)).toEqual(['a:in_progress', 'b:pending', 'c:pending']);
  });

  it('adds new items in order and moves an item whose key changed', () => {
    const items: Item[] = [
      { id: 'a', priority: 1, status: 'pending' },
      { id: 'b', priority: 2, status: 'pending' },
    ];
    const out = merge(
      items,
      [
        { id: 'a', priority: 3, status: 'pending' },
        { id: 'n', priority: 0, status: 'pending' },
      ],
      byPriority,
    );
    expect(out.map((i) => i.id)).toEqual(['n', 'b', 'a']);
  });
});
