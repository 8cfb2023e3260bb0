// Paging cursors: round trips, and every kind of bad input is a clear INVALID_INPUT naming the parameter.
import { describe, expect, it } from 'vitest';
import {
  decodeEventCursor,
  decodeIncidentCursor,
  encodeEventCursor,
  encodeIncidentCursor,
} from '../../src/domain/cursor.js';
import { AppError } from '../../src/domain/errors.js';

const EVENT = { timestamp: '2026-11-29T16:33:06.123000Z', seq: '9007199254740993', xact: '4294967301' };
const OF = '0198a3c2-7f1e-7b2a-9c4d-5e6f7a8b9c0d';
const OTHER = '0198a3c2-7f1e-7b2a-9c4d-000000000001';
const INCIDENT = { createdAt: '2026-11-29T16:33:06.123456Z', id: '123e4567-e89b-42d3-a456-426614174000' };
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function refusal(f: () => unknown): AppError {
  try {
    f();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

describe('paging cursors', () => {
  it('round-trip an event position (a seq beyond 2^53 kept exactly) and an incident position (microseconds kept)', () => {
    const e = encodeEventCursor(EVENT, OF);
    expect(e).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeEventCursor(e, 'cursor', OF)).toEqual(EVENT);
    // Events written before the xact column existed carry transaction 0.
    const old = { ...EVENT, xact: '0' };
    expect(decodeEventCursor(encodeEventCursor(old, OF), 'after', OF)).toEqual(old);
    const i = encodeIncidentCursor(INCIDENT);
    expect(decodeIncidentCursor(i, 'cursor')).toEqual(INCIDENT);
    expect(e.length).toBeLessThan(220);
    expect(i.length).toBeLessThan(160);
  });

  it('refuse garbage, naming the parameter that carried it', () => {
    for (const text of ['', 'not a cursor!', 'abc=', 'x'.repeat(300), b64('hello'), 'AAAA', b64([1, 2])]) {
      const err = refusal(() => decodeEventCursor(text, 'after', OF));
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.message).toMatch(/^after is not a cursor/);
      expect(err.issues).toEqual([{ path: 'after', message: expect.any(String) as string }]);
    }
  });

  it('refuse a tampered cursor: a changed field, an extra field, an impossible date, a seq out of range', () => {
    const bad = [
      { v: 1, k: 'e', t: EVENT.timestamp, x: '7', s: '-1' },
      { v: 1, k: 'e', t: EVENT.timestamp, x: '7', s: '0123' },
      { v: 1, k: 'e', t: EVENT.timestamp, x: '7', s: '9223372036854775808' },
      { v: 1, k: 'e', t: '2026-02-30T00:00:00.000000Z', s: '1', x: '7' },
      { v: 1, k: 'e', t: '2026-11-29T16:33:06.123Z', s: '1', x: '7' },
      { v: 1, k: 'e', t: EVENT.timestamp, x: '7', s: '1', extra: true },
      { v: 1, k: 'e', t: EVENT.timestamp, x: '7', s: 1 },
      { v: 1, k: 'e', t: EVENT.timestamp, s: '1' },
      { v: 1, k: 'e', t: EVENT.timestamp, s: '1', x: '' },
      // Not digits at all (found by a review: BigInt() threw on them, a 500).
      { v: 1, k: 'e', t: EVENT.timestamp, s: '5', x: 'abc' },
      { v: 1, k: 'e', t: EVENT.timestamp, s: '1.5', x: '7' },
      { v: 1, k: 'e', t: EVENT.timestamp, s: '1e3', x: '7' },
      { v: 1, k: 'e', t: EVENT.timestamp, s: '5', x: '-1' },
      { v: 1, k: 'e', t: EVENT.timestamp, s: '5', x: '7', n: 'not-a-uuid' },
      { v: 1, k: 'e', t: EVENT.timestamp, s: '5', x: '7', n: null },
    ];
    for (const payload of bad)
      expect(refusal(() => decodeEventCursor(b64(payload), 'cursor', OF)).message).toMatch(/damaged/);
    // One character of a real cursor flipped: no longer base64url of JSON, or no longer the shape.
    const real = encodeEventCursor(EVENT, OF);
    const flipped = `${real.slice(0, 10)}${real[10] === 'A' ? 'B' : 'A'}${real.slice(11)}`;
    expect(refusal(() => decodeEventCursor(flipped, 'cursor', OF)).code).toBe('INVALID_INPUT');
  });

  it('refuse a wrong version and a cursor of the other list', () => {
    const v2 = b64({ v: 2, k: 'e', t: EVENT.timestamp, s: '1' });
    expect(refusal(() => decodeEventCursor(v2, 'cursor', OF)).message).toMatch(/unsupported cursor version 2/);
    const incidentCursor = encodeIncidentCursor(INCIDENT);
    expect(refusal(() => decodeEventCursor(incidentCursor, 'cursor', OF)).message).toMatch(
      /another list \(incidents\)/,
    );
    // No kind at all, or one no list issues: damaged, not "another list".
    for (const payload of [{ v: 1 }, { v: 1, k: 'x' }, { v: 1, k: null }]) {
      expect(refusal(() => decodeEventCursor(b64(payload), 'cursor', OF)).message).toMatch(/: damaged$/);
      expect(refusal(() => decodeIncidentCursor(b64(payload), 'cursor')).message).toMatch(/: damaged$/);
    }
    const eventCursor = encodeEventCursor(EVENT, OF);
    expect(refusal(() => decodeIncidentCursor(eventCursor, 'cursor')).message).toMatch(/another list \(events\)/);
  });

  it("refuse another incident's event cursor, on either parameter; take a cursor issued before incidents were in it", () => {
    const foreign = encodeEventCursor(EVENT, OTHER);
    for (const param of ['cursor', 'after']) {
      const err = refusal(() => decodeEventCursor(foreign, param, OF));
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.message).toBe(
        `${param} is not a cursor this list issued: a cursor of another incident's events (${OTHER})`,
      );
      expect(err.issues).toEqual([{ path: param, message: expect.stringContaining(OTHER) as string }]);
    }
    // The incident id compares in any case, as ids are taken in any case.
    expect(decodeEventCursor(encodeEventCursor(EVENT, OF.toUpperCase()), 'cursor', OF)).toEqual(EVENT);
    // The format before 2026-12-01 had no `n`: a client paging across the upgrade keeps its place.
    const legacy = b64({ v: 1, k: 'e', t: EVENT.timestamp, s: EVENT.seq, x: EVENT.xact });
    expect(decodeEventCursor(legacy, 'after', OF)).toEqual(EVENT);
  });
});
