// Which week partitions of events the server makes (src/db/event-partitions.ts): whole ISO weeks from the newest
// existing bound to PARTITION_WEEKS_AHEAD weeks past the current one, one partition across a long gap.
import { describe, expect, it } from 'vitest';
import { missingRanges, PARTITION_WEEKS_AHEAD, weekStart, type EventPartition } from '../../src/db/event-partitions.js';

const d = (iso: string): Date => new Date(iso);
const part = (from: string | null, to: string | null): EventPartition => ({
  name: `p_${from}`,
  isDefault: false,
  from: from === null ? null : d(from),
  to: to === null ? null : d(to),
});
const iso = (ranges: Array<{ from: Date; to: Date }>) =>
  ranges.map((r) => [r.from.toISOString().slice(0, 19), r.to.toISOString().slice(0, 19)]);

describe('weekStart', () => {
  it('is Monday 00:00 UTC of the ISO week, Sundays and Mondays included', () => {
    expect(weekStart(d('2026-11-30T13:45:00Z')).toISOString()).toBe('2026-11-30T00:00:00.000Z'); // a Monday
    expect(weekStart(d('2026-12-06T23:59:59.999Z')).toISOString()).toBe('2026-11-30T00:00:00.000Z'); // Sunday
    expect(weekStart(d('2026-12-07T00:00:00Z')).toISOString()).toBe('2026-12-07T00:00:00.000Z');
    expect(weekStart(d('2027-01-01T12:00:00Z')).toISOString()).toBe('2026-12-28T00:00:00.000Z'); // across a year
  });
});

describe('missingRanges', () => {
  const now = d('2026-12-02T10:00:00Z'); // a Wednesday

  it('on an empty table: this week and PARTITION_WEEKS_AHEAD more, each a whole week', () => {
    const r = missingRanges([], now);
    expect(r).toHaveLength(PARTITION_WEEKS_AHEAD + 1);
    expect(iso(r)[0]).toEqual(['2026-11-30T00:00:00', '2026-12-07T00:00:00']);
    expect(iso(r).at(-1)?.[1]).toBe('2026-12-21T00:00:00');
  });

  it('continues from the newest bound, which may fall inside a week (the migration partition)', () => {
    const r = missingRanges(
      [part(null, '2026-12-01T08:30:00Z'), part('2026-12-01T08:30:00Z', '2026-12-03T00:00:00Z')],
      now,
    );
    expect(iso(r)).toEqual([
      ['2026-12-03T00:00:00', '2026-12-07T00:00:00'],
      ['2026-12-07T00:00:00', '2026-12-14T00:00:00'],
      ['2026-12-14T00:00:00', '2026-12-21T00:00:00'],
    ]);
  });

  it('makes nothing when partitions already reach the horizon, and ignores the default partition', () => {
    const have = [part('2026-11-30T00:00:00Z', '2026-12-21T00:00:00Z'), { ...part(null, null), isDefault: true }];
    expect(missingRanges(have, now)).toEqual([]);
  });

  it('closes a gap of many weeks with one partition, then whole weeks from this one', () => {
    const r = missingRanges([part('2026-01-05T00:00:00Z', '2026-01-12T00:00:00Z')], now);
    expect(iso(r)[0]).toEqual(['2026-01-12T00:00:00', '2026-11-30T00:00:00']);
    expect(iso(r).slice(1)).toEqual([
      ['2026-11-30T00:00:00', '2026-12-07T00:00:00'],
      ['2026-12-07T00:00:00', '2026-12-14T00:00:00'],
      ['2026-12-14T00:00:00', '2026-12-21T00:00:00'],
    ]);
  });

  it('leaves no hole and no overlap between what exists and what it makes', () => {
    const have = [part(null, '2026-11-17T04:00:00Z')];
    const all = [...have.map((p) => ({ from: p.from, to: p.to as Date })), ...missingRanges(have, now)];
    for (let i = 1; i < all.length; i++) expect(all[i]?.from?.getTime()).toBe(all[i - 1]?.to.getTime());
  });
});
