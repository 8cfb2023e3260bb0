import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { uuidV7, uuidV7Time } from '../../src/db/uuid-v7.js';

const LAYOUT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidV7 (RFC 9562 §5.7)', () => {
  it('has version 7, the RFC variant and the time in its first 48 bits', () => {
    const before = Date.now();
    const id = uuidV7();
    const after = Date.now();
    expect(id).toMatch(LAYOUT);
    expect(uuidV7Time(id)).toBeGreaterThanOrEqual(before);
    expect(uuidV7Time(id)).toBeLessThanOrEqual(after);
    // The API's own uuid check accepts it.
    expect(z.uuid().safeParse(id).success).toBe(true);
  });

  it('encodes a given time exactly, including the edges of 48 bits', () => {
    for (const ms of [0, 1, 0xffff_ffff, 1_796_058_876_590, 2 ** 48 - 1]) {
      const id = uuidV7(ms);
      expect(id).toMatch(LAYOUT);
      expect(uuidV7Time(id)).toBe(ms);
    }
    // Out of range times are clamped, never a malformed id.
    expect(uuidV7Time(uuidV7(-5))).toBe(0);
    expect(uuidV7Time(uuidV7(2 ** 50))).toBe(2 ** 48 - 1);
    // Fractions of a millisecond are dropped; a time that is not a number is refused.
    expect(uuidV7(1.8)).toMatch(LAYOUT);
    expect(uuidV7Time(uuidV7(1.8))).toBe(1);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) expect(() => uuidV7(bad)).toThrow(RangeError);
  });

  it('sorts by time across milliseconds as lowercase hex text, which is the bytewise order PostgreSQL gives uuids', () => {
    const ids = [1_000, 1_001, 65_536, 1_796_058_876_590, 1_796_058_876_591].map((ms) => uuidV7(ms));
    expect([...ids].sort()).toEqual(ids);
  });

  it('is unique within one millisecond (74 random bits)', () => {
    const ids = Array.from({ length: 100_000 }, () => uuidV7(1_796_058_876_590));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 100)) expect(id).toMatch(LAYOUT);
  });
});
