// The incident list's answer with what arrived live while it was on its way (console/src/live/list-arrivals.ts): a
// new row or a newer version seen live survives an answer read before it; an answer read after it wins; a row older
// than the answer's last, when more pages follow, is left to those pages. The browser case is
// test/browser/list-answers.test.ts.
import { describe, expect, it } from 'vitest';
import { ArrivalTracker, VersionLog, withArrivals, withNewerVersions } from '../../console/src/live/list-arrivals.js';
import type { Incident } from '../../console/src/model.js';
import { anIncident } from './console-incident.js';

/** Incident n, created at minute n (so a higher n is newer), last changed at second `changed` of that minute. */
function incident(n: number, patch: Partial<Incident> = {}, changed = 0): Incident {
  const created = `2026-12-01T00:${String(n).padStart(2, '0')}:00.000Z`;
  return anIncident({
    id: `0b5c1c9e-3f57-4f7e-9a40-0000000000${String(n).padStart(2, '0')}`,
    title: `incident ${n}`,
    created_at: created,
    updated_at: created.replace(':00.000Z', `:${String(changed).padStart(2, '0')}.000Z`),
    ...patch,
  });
}

const all = (): boolean => true;
const open = (i: Incident): boolean => i.status === 'open';
const rows = (list: readonly Incident[]): string[] => list.map((i) => `${i.title}:${i.status}`);
/** Arrivals as a read's record holds them, by id. */
const seen = (...list: Incident[]): Map<string, Incident> => new Map(list.map((i) => [i.id, i]));

describe('withArrivals', () => {
  it('adds an incident that arrived after the answer was read, in its place', () => {
    const answer = [incident(5), incident(3)];
    expect(rows(withArrivals(answer, seen(incident(4)), all, false))).toEqual([
      'incident 5:open',
      'incident 4:open',
      'incident 3:open',
    ]);
    expect(rows(withArrivals(answer, seen(incident(9)), all, true))).toEqual([
      'incident 9:open',
      'incident 5:open',
      'incident 3:open',
    ]);
  });

  it('leaves out an arrival that does not match the view', () => {
    const answer = [incident(5)];
    expect(rows(withArrivals(answer, seen(incident(6, { status: 'resolved' })), open, false))).toEqual([
      'incident 5:open',
    ]);
  });

  it('leaves an arrival older than the last row to the next page, and adds it when there is none', () => {
    const answer = [incident(5), incident(3)];
    expect(rows(withArrivals(answer, seen(incident(2)), all, true))).toEqual(['incident 5:open', 'incident 3:open']);
    expect(rows(withArrivals(answer, seen(incident(2)), all, false))).toEqual([
      'incident 5:open',
      'incident 3:open',
      'incident 2:open',
    ]);
  });

  it('keeps a change seen live over the older version the answer read, and drops a row the change moved out of view', () => {
    const answer = [incident(5), incident(3)];
    const moved = incident(3, { status: 'investigating' }, 30);
    expect(rows(withArrivals(answer, seen(moved), all, false))).toEqual([
      'incident 5:open',
      'incident 3:investigating',
    ]);
    expect(rows(withArrivals(answer, seen(moved), open, false))).toEqual(['incident 5:open']);
  });

  it("keeps the answer's version when it is as new as the arrival or newer", () => {
    const answer = [incident(5, { status: 'resolved' }, 40)];
    expect(rows(withArrivals(answer, seen(incident(5, { status: 'investigating' }, 30)), all, false))).toEqual([
      'incident 5:resolved',
    ]);
    expect(rows(withArrivals(answer, seen(incident(5, { status: 'investigating' }, 40)), all, false))).toEqual([
      'incident 5:resolved',
    ]);
  });
});

describe('withNewerVersions', () => {
  it('replaces rows by later versions, drops those now out of view, and adds no arrival the page lacks', () => {
    const page = [incident(3), incident(2)];
    const arrivals = seen(
      incident(3, { status: 'resolved' }, 30),
      incident(2, { status: 'investigating' }, 20),
      incident(9),
    );
    expect(rows(withNewerVersions(page, arrivals, (i) => i.status !== 'resolved'))).toEqual([
      'incident 2:investigating',
    ]);
    expect(rows(withNewerVersions(page, seen(incident(3, { status: 'resolved' }, 0)), () => true))).toEqual([
      'incident 3:open',
      'incident 2:open',
    ]);
  });
});

describe('ArrivalTracker', () => {
  it('notes the latest version of each incident in every open record, whatever order versions come in', () => {
    const tracker = new ArrivalTracker();
    const before = tracker.start();
    tracker.note(incident(3, { status: 'resolved' }, 50));
    const after = tracker.start();
    tracker.note(incident(3, { status: 'investigating' }, 20));
    tracker.note(incident(4));
    expect(rows([...before.values()])).toEqual(['incident 3:resolved', 'incident 4:open']);
    expect(rows([...after.values()])).toEqual(['incident 3:investigating', 'incident 4:open']);
  });

  it('keeps nothing in a record once its read has ended', () => {
    const tracker = new ArrivalTracker();
    const record = tracker.start();
    tracker.end(record);
    tracker.note(incident(5));
    expect(record.size).toBe(0);
  });
});

describe('VersionLog', () => {
  it('calls a version older than one seen stale, whatever came between, and keeps the newest', () => {
    const log = new VersionLog();
    expect(log.stale(incident(3, { status: 'investigating' }, 20))).toBe(false);
    expect(log.stale(incident(3, { status: 'open' }, 10))).toBe(true);
    expect(log.stale(incident(3, { status: 'investigating' }, 20))).toBe(false);
    expect(log.stale(incident(3, { status: 'resolved' }, 30))).toBe(false);
    expect(log.stale(incident(3, { status: 'investigating' }, 20))).toBe(true);
  });

  it('remembers the most recently seen incidents up to its limit', () => {
    const log = new VersionLog(2);
    log.stale(incident(1, {}, 30));
    log.stale(incident(2, {}, 30));
    // Seen again, so it is the most recent; incident 2 is now the oldest and goes when a third arrives.
    log.stale(incident(1, {}, 30));
    log.stale(incident(3, {}, 30));
    expect(log.stale(incident(1, {}, 10))).toBe(true);
    expect(log.stale(incident(2, {}, 10))).toBe(false);
  });
});
