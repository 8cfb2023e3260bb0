// The heap growth setting applies only where V8's own factor could reach 4 (src/heap-growth.ts).
import { describe, expect, it } from 'vitest';
import { capHeapGrowth, LARGE_HEAP_BYTES } from '../../src/heap-growth.js';

describe('capHeapGrowth', () => {
  it('leaves V8 alone when set to 0, or on a heap too small for V8 to grow it by more than 2x', () => {
    expect(capHeapGrowth(0, 4 * 1024 ** 3)).toBe(false);
    expect(capHeapGrowth(50, 512 * 1024 ** 2)).toBe(false);
    expect(capHeapGrowth(50, LARGE_HEAP_BYTES - 1)).toBe(false);
  });
  it('sets the factor on a large heap', () => {
    expect(capHeapGrowth(50, LARGE_HEAP_BYTES)).toBe(true);
  });
});
