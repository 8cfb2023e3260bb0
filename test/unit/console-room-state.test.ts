// The incident page's state (console/src/live/room-state.ts): what a load's answer does to actions that frames
// changed while it was on its way. Actions have no version field, so a load that read an action before a frame's
// change must not put the older version back (a sibling of the race fixed in cf0c7b7, where the load dropped an
// action a frame had just added).
import { describe, expect, it } from 'vitest';
import type { Action, Incident } from '../../console/src/model.js';
import { EMPTY, reduce, type Change, type RoomState } from '../../console/src/live/room-state.js';

const INCIDENT_ID = '0b5c1c9e-3f57-4f7e-9a40-1d3b6c5e8a11';
const incident: Incident = {
  id: INCIDENT_ID,
  title: 'Checkout 502s',
  description: '',
  status: 'open',
  severity: 'high',
  source: 'manual',
  tags: [],
  metadata: {},
  created_at: '2026-12-01T00:00:00.000Z',
  updated_at: '2026-12-01T00:00:00.000Z',
  resolved_at: null,
  ai_summary: null,
  root_cause: null,
  suggested_actions: [],
  mttr_minutes: null,
};

const action = (n: number, status: Action['status']): Action => ({
  id: `7d0e6a2c-1b4f-4c3e-8d2a-00000000000${n}`,
  incident_id: INCIDENT_ID,
  title: `step ${n}`,
  description: '',
  status,
  suggested_by: 'analysis',
  priority: n,
  created_at: `2026-12-01T00:00:0${n}.000Z`,
});

/** A load's answer carrying `actions`, sent when the state's tick was `startedAt`. */
const loaded = (actions: Action[], startedAt: number): Change => ({
  kind: 'loaded',
  incident,
  timeline: [],
  actions,
  events: [],
  next: null,
  filter: {},
  scope: 'first-page',
  startedAt,
});

const frame = (a: Action, type: 'action.created' | 'action.updated' = 'action.updated'): Change => ({
  kind: 'frame',
  frame: { type, action: a },
});

const statuses = (s: RoomState): string[] => s.actions.map((a) => `${a.title}:${a.status}`);

describe('a load answering after action frames', () => {
  const first = reduce(EMPTY, loaded([action(1, 'pending'), action(2, 'pending')], 0));

  it('keeps the version a frame brought while the load was on its way', () => {
    const startedAt = first.actionTick;
    const changed = reduce(first, frame(action(1, 'in_progress')));
    const after = reduce(changed, loaded([action(1, 'pending'), action(2, 'pending')], startedAt));
    expect(statuses(after)).toEqual(['step 1:in_progress', 'step 2:pending']);
  });

  it("takes the load's version of actions no frame touched since it started, and adds new ones", () => {
    const changed = reduce(first, frame(action(1, 'in_progress')));
    // A reconnect: frames were missed, so the held step 2 is stale; this load started after the frame above.
    const after = reduce(
      changed,
      loaded([action(1, 'completed'), action(2, 'failed'), action(3, 'pending')], changed.actionTick),
    );
    expect(statuses(after)).toEqual(['step 1:completed', 'step 2:failed', 'step 3:pending']);
  });

  it('keeps an action a frame created while the load was on its way', () => {
    const startedAt = first.actionTick;
    const created = reduce(first, frame(action(3, 'pending'), 'action.created'));
    const after = reduce(created, loaded([action(1, 'pending'), action(2, 'pending')], startedAt));
    expect(statuses(after)).toEqual(['step 1:pending', 'step 2:pending', 'step 3:pending']);
  });

  it('keeps what a mutation returned over a load sent before it', () => {
    const startedAt = first.actionTick;
    const applied = reduce(first, { kind: 'action', action: action(2, 'skipped') });
    const after = reduce(applied, loaded([action(1, 'pending'), action(2, 'pending')], startedAt));
    expect(statuses(after)).toEqual(['step 1:pending', 'step 2:skipped']);
  });
});
