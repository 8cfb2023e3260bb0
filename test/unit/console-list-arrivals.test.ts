// The incident list's answer with what arrived live while it was on its way (console/src/live/list-arrivals.ts): a
// new row or a newer version seen live survives an answer read before it; an answer read after it wins; a row older
// than the answer's last, when more pages follow, is left to those pages. The browser case is
// test/browser/list-answers.test.ts.
import { describe, expect, it } from 'vitest';
import { noteArrival, withArrivals } from '../../console/src/live/list-arrivals.js';
import type { Incident } from '../../console/src/model.js';

/** Incident n, created at minute n (so a higher n is newer), last changed at second `changed` of that minute. */
function incident(n: number, patch: Partial<Incident> = {}, changed = 0): Incident {
  const created = `2026-12-01T00:${String(n).padStart(2, '0')}:00.000Z`;
  return {
    id: `0b5c1c9e-3f57-4f7e-9a40-0000000000${String(n).padStart(2, '0')}`,
    title: `incident ${n}`,
    description: '',
    status: 'open',
    severity: 'high',
    source: 'manual',
    tags: [],
    metadata: {},
    created_at: created,
    updated_at: created.replace(':00.000Z', `:${String(changed).padStart(2, '0')}.000Z`),
    resolved_at: null,
    ai_summary: null,
    root_cause: null,
    suggested_actions: [],
    mttr_minutes: null,
    ...patch,
  };
}

const all = (): boolean => true;
const open = (i: Incident): boolean => i.status === 'open';
const rows = (list: readonly Incident[]): string[] => list.map((i) => `${i.title}:${i.status}`);

describe('withArrivals', () => {
  it('adds an incident that arrived after the answer was read, in its place', () => {
    const answer = [incident(5), incident(3)];
    expect(rows(withArrivals(answer, [incident(4)], all, false))).toEqual([
      'incident 5:open',
      'incident 4:open',
      'incident 3:open',
    ]);
    expect(rows(withArrivals(answer, [incident(9)], all, true))).toEqual([
      'incident 9:open',
      'incident 5:open',
      'incident 3:open',
    ]);
  });

  it('leaves out an arrival that does not match the view', () => {
    const answer = [incident(5)];
    expect(rows(withArrivals(answer, [incident(6, { status: 'resolved' })], open, false))).toEqual(['incident 5:open']);
  });

  it('leaves an arrival older than the last row to the next page, and adds it when there is none', () => {
    const answer = [incident(5), incident(3)];
    expect(rows(withArrivals(answer, [incident(2)], all, true))).toEqual(['incident 5:open', 'incident 3:open']);
    expect(rows(withArrivals(answer, [incident(2)], all, false))).toEqual([
      'incident 5:open',
      'incident 3:open',
      'incident 2:open',
    ]);
  });

  it('keeps a change seen live over the older version the answer read, and drops a row the change moved out of view', () => {
    const answer = [incident(5), incident(3)];
    const moved = incident(3, { status: 'investigating' }, 30);
    expect(rows(withArrivals(answer, [moved], all, false))).toEqual(['incident 5:open', 'incident 3:investigating']);
    expect(rows(withArrivals(answer, [moved], open, false))).toEqual(['incident 5:open']);
  });

  it("keeps the answer's version when it is as new as the arrival or newer", () => {
    const answer = [incident(5, { status: 'resolved' }, 40)];
    expect(rows(withArrivals(answer, [incident(5, { status: 'investigating' }, 30)], all, false))).toEqual([
      'incident 5:resolved',
    ]);
    expect(rows(withArrivals(answer, [incident(5, { status: 'investigating' }, 40)], all, false))).toEqual([
      'incident 5:resolved',
    ]);
  });
});

describe('noteArrival', () => {
  it('holds the latest version of each incident, whatever order the versions come in', () => {
    const arrivals = new Map<string, Incident>();
    noteArrival(arrivals, incident(3, { status: 'resolved' }, 50));
    noteArrival(arrivals, incident(3, { status: 'investigating' }, 20));
    noteArrival(arrivals, incident(4));
    expect(rows([...arrivals.values()])).toEqual(['incident 3:resolved', 'incident 4:open']);
  });
});
