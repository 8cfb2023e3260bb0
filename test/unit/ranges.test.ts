// Sequence numbers of an ingest become inclusive ranges, the compact reference other instances load events by.
import { describe, expect, it } from 'vitest';
import { toRanges } from '../../src/domain/ingest.js';

describe('toRanges', () => {
  it('merges consecutive numbers, whatever their order, beyond 2^53', () => {
    expect(toRanges(['5', '3', '4', '10', '11', '7'])).toEqual([
      ['3', '5'],
      ['7', '7'],
      ['10', '11'],
    ]);
    expect(toRanges(['9007199254740993', '9007199254740992'])).toEqual([['9007199254740992', '9007199254740993']]);
    expect(toRanges([])).toEqual([]);
  });
});
