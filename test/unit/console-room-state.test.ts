// The incident page's state (console/src/live/room-state.ts): what a load's answer does to actions that frames
// changed while it was on its way. Actions have no version field, so a load that read an action before a frame's
// change must not put the older version back (a sibling of the race fixed in cf0c7b7, where the load dropped an
// action a frame had just added).
import { describe, expect, it } from 'vitest';
import type { Action, Event, ServerFrame, TimelineEntry } from '../../console/src/model.js';
import { INCIDENT_ID, anIncident } from './console-incident.js';
import { EMPTY, reduce, type Change, type EventsTail, type RoomState } from '../../console/src/live/room-state.js';

const incident = anIncident();

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

/** Each load's number: in these tests loads answer in the order they were sent, unless a test says otherwise. */
let loads = 0;

type Loaded = Extract<Change, { kind: 'loaded' }>;

/** A catch-up position, asked for at time `n`. */
const tailAt = (n: number): EventsTail => ({ cursor: `tail-${n}`, requestedAt: n });

/** A load's answer: nothing read but what `parts` says, as the next load number unless it says. */
const answer = (parts: Partial<Loaded>): Change => ({
  kind: 'loaded',
  incident,
  timeline: [],
  timelineOlder: false,
  timelineJoined: true,
  actions: [],
  events: [],
  next: null,
  tail: tailAt(1),
  filter: {},
  scope: 'first-page',
  startedAt: 0,
  seq: ++loads,
  ...parts,
});

/** A load's answer carrying `actions`, sent when the state's tick was `startedAt`, as load number `seq`. */
const loaded = (actions: Action[], startedAt: number, seq = ++loads): Change => answer({ actions, startedAt, seq });

const frame = (a: Action, type: 'action.created' | 'action.updated' = 'action.updated'): Change => ({
  kind: 'frame',
  frame: { type, action: a },
});

/** Event n, at minute n of the day. */
const event = (n: number): Event => ({
  id: `5a7c2e1d-9b3f-4d6a-8e2c-0000000000${String(n).padStart(2, '0')}`,
  incident_id: INCIDENT_ID,
  event_type: 'log',
  message: `event ${n}`,
  level: 'info',
  source: 'test',
  metadata: {},
  timestamp: `2026-12-01T00:${String(n).padStart(2, '0')}:00.000Z`,
});

/** A load's answer carrying only `events` of `scope`, with their cursor and tail position. */
const eventsLoaded = (scope: Loaded['scope'], events: Event[], next: string | null, tail: EventsTail): Change =>
  answer({ scope, events, next, tail });

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

describe('a load of the newest timeline page', () => {
  const entry = (n: number): TimelineEntry => ({
    id: `5c9a1f3e-2b7d-4e8a-9f10-00000000000${n}`,
    incident_id: INCIDENT_ID,
    entry_type: 'comment',
    title: `entry ${n}`,
    description: '',
    actor: 'ana',
    timestamp: `2026-12-01T00:00:0${n}.000Z`,
    metadata: {},
  });

  const withTimeline = (timeline: TimelineEntry[], timelineOlder: boolean, timelineJoined = true): Change =>
    answer({ timeline, timelineOlder, timelineJoined });

  it('keeps the timeline oldest first, merged with entries a frame brought, and says whether older ones exist', () => {
    const live = reduce(EMPTY, { kind: 'frame', frame: { type: 'timeline.created', entry: entry(4) } });
    // The console asks for the newest page newest first; the state keeps the timeline's reading order.
    const after = reduce(live, withTimeline([entry(3), entry(2)], true));
    expect(after.timeline.map((e) => e.title)).toEqual(['entry 2', 'entry 3', 'entry 4']);
    expect(after.timelineOlder).toBe(true);
    const all = reduce(after, withTimeline([entry(4), entry(3), entry(2)], false));
    expect(all.timeline).toHaveLength(3);
    expect(all.timelineOlder).toBe(false);
  });

  it('after a reconnect, merges entries read back to the held ones, and says of older ones what it said before', () => {
    // The first load: entries 2-4, with older ones not loaded.
    const first = reduce(EMPTY, withTimeline([entry(4), entry(3), entry(2)], true));
    // The catch-up read newest first until it met a held entry (4); its last page goes on below, but the held
    // entries already reach further back than what it read.
    const after = reduce(first, withTimeline([entry(7), entry(6), entry(5), entry(4)], true));
    expect(after.timeline.map((e) => e.title)).toEqual([
      'entry 2',
      'entry 3',
      'entry 4',
      'entry 5',
      'entry 6',
      'entry 7',
    ]);
    expect(after.timelineOlder).toBe(true);
    const whole = reduce(EMPTY, withTimeline([entry(3), entry(2)], false));
    expect(reduce(whole, withTimeline([entry(5), entry(4), entry(3)], true)).timelineOlder).toBe(false);
  });

  it('remembers the entries the last landed load read, not those frames brought, as where the next one joins', () => {
    const first = reduce(EMPTY, withTimeline([entry(2), entry(1)], false));
    const live = reduce(first, { kind: 'frame', frame: { type: 'timeline.created', entry: entry(3) } });
    expect([...live.timelineLanded]).toEqual([entry(2).id, entry(1).id]);
    const next = reduce(live, withTimeline([entry(4), entry(3), entry(2)], true));
    expect([...next.timelineLanded]).toEqual([entry(4).id, entry(3).id, entry(2).id]);
  });

  it('after more was written while away than a catch-up reads, lets the held entries go but those that came live', () => {
    const first = reduce(EMPTY, withTimeline([entry(2), entry(1)], false));
    // Entry 9 came as a frame while the catch-up was on its way; the catch-up read 6-8 and never met a held entry.
    const live = reduce(first, { kind: 'frame', frame: { type: 'timeline.created', entry: entry(9) } });
    const after = reduce(live, withTimeline([entry(8), entry(7), entry(6)], true, false));
    expect(after.timeline.map((e) => e.title)).toEqual(['entry 6', 'entry 7', 'entry 8', 'entry 9']);
    expect(after.timelineOlder).toBe(true);
  });
});

describe('a catch-up cut short after a long outage', () => {
  const live = (...n: number[]): Change => ({
    kind: 'frame',
    frame: { type: 'event.created', incident_id: INCIDENT_ID, events: n.map(event) },
  });
  const cut = (events: Event[]): Change => eventsLoaded('newest-again', events, 'cursor-into-the-rest', tailAt(2));
  const messages = (s: RoomState): string[] => s.events.map((e) => e.message);

  it('lets the held events go and keeps those that came live while it was on its way', () => {
    const held = reduce(EMPTY, live(1, 2, 3));
    // The catch-up read events 40-45; event 50 came as a frame before its answer.
    const during = reduce(held, live(50));
    const after = reduce(during, cut([event(45), event(44), event(43), event(42), event(41), event(40)]));
    expect(messages(after)).toEqual([
      'event 50',
      'event 45',
      'event 44',
      'event 43',
      'event 42',
      'event 41',
      'event 40',
    ]);
    expect(after.eventsNext).toBe('cursor-into-the-rest');
    expect(after.eventsTail).toEqual(tailAt(2));
  });
});

describe('a catch-up after a reconnect', () => {
  const load = (scope: 'first-page' | 'caught-up', events: Event[], tail: EventsTail, next: string | null): Change =>
    eventsLoaded(scope, events, next, tail);
  const messages = (s: RoomState): string[] => s.events.map((e) => e.message);
  /** An older page of `events`, read from the cursor `from`, continuing at `next`. */
  const olderPage = (events: Event[], from: string, next: string | null, tail = tailAt(100)): Change => ({
    kind: 'older-events',
    events,
    next,
    from,
    tail,
    filter: {},
  });

  it('puts an event written while away with an older timestamp than the newest held where it belongs', () => {
    const first = reduce(EMPTY, load('first-page', [event(30), event(20), event(10)], tailAt(1), 'cursor-below-10'));
    expect(first.eventsTail).toEqual(tailAt(1));
    expect(first.eventsFloor).toBe(event(10).timestamp);
    // While the socket was down: an alert that started at minute 15, delivered late, and a new event at minute 40.
    const after = reduce(first, load('caught-up', [event(15), event(40)], tailAt(2), null));
    expect(messages(after)).toEqual(['event 40', 'event 30', 'event 20', 'event 15', 'event 10']);
    // The held cursor still continues below the oldest held; the next catch-up tails from the new position.
    expect(after.eventsNext).toBe('cursor-below-10');
    expect(after.eventsTail).toEqual(tailAt(2));
  });

  it('bounds the next catch-up by where the pages read end, not by a backdated event that came live', () => {
    const first = reduce(EMPTY, load('first-page', [event(30), event(20)], tailAt(1), 'cursor-below-20'));
    // An alert that started at minute 1 came as a frame: the oldest held, but the cursor still continues below 20.
    const live = reduce(first, {
      kind: 'frame',
      frame: { type: 'event.created', incident_id: INCIDENT_ID, events: [event(1)] },
    });
    expect(live.events.at(-1)?.message).toBe('event 1');
    expect(live.eventsFloor).toBe(event(20).timestamp);
    // An older page moves it down; the last page (no cursor after it) clears it: the catch-up then reads everything.
    const older = reduce(live, olderPage([event(15)], 'cursor-below-20', 'below-15'));
    expect(older.eventsFloor).toBe(event(15).timestamp);
    const all = reduce(older, olderPage([event(5)], 'below-15', null));
    expect(all.eventsFloor).toBeNull();
  });

  it('drops an older page asked for before the list was started again from the newest', () => {
    const first = reduce(EMPTY, load('first-page', [event(30), event(20)], tailAt(1), 'cursor-below-20'));
    const again = reduce(first, eventsLoaded('newest-again', [event(50), event(45)], 'cursor-below-45', tailAt(2)));
    const late = reduce(again, olderPage([event(15)], 'cursor-below-20', 'below-15'));
    expect(late).toBe(again);
  });

  it('drops the held position with the held events when the filter changes', () => {
    const first = reduce(EMPTY, load('first-page', [event(30)], tailAt(5), null));
    const filtered = reduce(first, { kind: 'event-filter', filter: { level: 'error' } });
    expect(filtered.eventsTail).toBeNull();
  });

  it('drops a catch-up whose events were let go while it was on its way (a filter changed and changed back)', () => {
    const first = reduce(EMPTY, load('first-page', [event(30)], tailAt(5), null));
    const away = reduce(reduce(first, { kind: 'event-filter', filter: { level: 'error' } }), {
      kind: 'event-filter',
      filter: {},
    });
    const late = reduce(away, load('caught-up', [event(40)], tailAt(8), null));
    // Not "event 40" alone as if it were the whole list: the filter's first page is on its way.
    expect(late.events).toEqual([]);
    expect(late.eventsTail).toBeNull();
    expect(late.eventsLoading).toBe(true);
  });

  it("drops a filter's first page that a load sent after it has overtaken", () => {
    const filtered = reduce(reduce(EMPTY, loaded([], 0, 1)), { kind: 'event-filter', filter: {} });
    // The filter's page is number 2; the welcome's load, number 3, read the same filter later and landed first.
    const landed = reduce(filtered, { ...(load('first-page', [event(50)], tailAt(9), 'below-50') as Loaded), seq: 3 });
    const stale = reduce(landed, {
      kind: 'filtered-events',
      events: [event(40)],
      next: 'below-40',
      tail: tailAt(7),
      filter: {},
      seq: 2,
    });
    expect(stale).toBe(landed);
  });

  it('keeps the older position when an older page asked for before a catch-up lands after it', () => {
    // Held: 30-20 read at time 5. While away, "Load older" asked at time 6; the reconnect's catch-up asked at 8 and
    // read only from 20 up; the older page (15) lands after it: a backdated event at 17, written between the two
    // reads, is in neither, so the next catch-up must read again from time 6.
    const first = reduce(EMPTY, load('first-page', [event(30), event(20)], tailAt(5), 'cursor-below-20'));
    const caught = reduce(first, { ...(load('caught-up', [], tailAt(8), null) as Loaded), since: event(20).timestamp });
    expect(caught.eventsTail).toEqual(tailAt(8));
    const older = reduce(caught, olderPage([event(15)], 'cursor-below-20', 'below-15', tailAt(6)));
    expect(older.eventsTail).toEqual(tailAt(6));
  });

  it('does not move the position on when an older page landed while the catch-up was on its way', () => {
    const first = reduce(EMPTY, load('first-page', [event(30), event(20)], tailAt(5), 'cursor-below-20'));
    // The older page (asked at 6) lands first, lowering the range to 15; the catch-up read only from 20 up.
    const older = reduce(first, olderPage([event(15)], 'cursor-below-20', 'below-15', tailAt(6)));
    expect(older.eventsTail).toEqual(tailAt(5));
    const caught = reduce(older, { ...(load('caught-up', [], tailAt(8), null) as Loaded), since: event(20).timestamp });
    expect(caught.eventsTail).toEqual(tailAt(5));
    // One that read from 15 (or everything) covers the range: it moves on.
    const whole = reduce(older, { ...(load('caught-up', [], tailAt(9), null) as Loaded), since: event(15).timestamp });
    expect(whole.eventsTail).toEqual(tailAt(9));
  });
});

describe('loads that overlap or find actions gone', () => {
  it('drops an action the server deleted, unless a frame touched it after the load was sent', () => {
    const first = reduce(EMPTY, loaded([action(1, 'pending'), action(2, 'pending'), action(3, 'pending')], 0));
    // A new analysis deleted its pending suggestions 2 and 3 and made 4; step 3 was also just moved by someone, whose
    // frame came after the reload was sent. The reload read the actions as they now are.
    const startedAt = first.actionTick;
    const moved = reduce(first, frame(action(3, 'in_progress')));
    const after = reduce(moved, loaded([action(1, 'pending'), action(4, 'pending')], startedAt));
    expect(statuses(after)).toEqual(['step 1:pending', 'step 3:in_progress', 'step 4:pending']);
  });

  it('does not let an older load, answering last, put back what a newer load read', () => {
    // The first load (1) is slow; the socket drops and comes back, and its welcome sends load 2. Step 1 was completed
    // while the socket was down (no frame). Load 2 answers first, load 1 last.
    const second = reduce(EMPTY, loaded([action(1, 'completed')], 0, 2));
    const first = reduce(second, loaded([action(1, 'pending')], 0, 1));
    expect(statuses(first)).toEqual(['step 1:completed']);
    // In order, the later load's answer is taken.
    const inOrder = reduce(reduce(EMPTY, loaded([action(1, 'pending')], 0, 1)), loaded([action(1, 'completed')], 0, 2));
    expect(statuses(inOrder)).toEqual(['step 1:completed']);
  });

  it('removes an action a frame says was deleted, and a load sent before that does not bring it back', () => {
    const first = reduce(EMPTY, loaded([action(1, 'pending'), action(2, 'pending')], 0));
    const startedAt = first.actionTick;
    const gone = reduce(first, {
      kind: 'frame',
      frame: { type: 'action.deleted', incident_id: INCIDENT_ID, action_id: action(2, 'pending').id },
    });
    expect(statuses(gone)).toEqual(['step 1:pending']);
    // A load sent before the deletion read step 2 still there.
    const after = reduce(gone, loaded([action(1, 'pending'), action(2, 'pending')], startedAt));
    expect(statuses(after)).toEqual(['step 1:pending']);
  });
});

describe('a frame of a type this console does not know', () => {
  it('leaves the state as it was (a newer server, a tab left open through the upgrade)', () => {
    const state = reduce(EMPTY, loaded([action(1, 'pending')], 0));
    const future = { type: 'action.archived', action_id: action(1, 'pending').id } as unknown as ServerFrame;
    expect(reduce(state, { kind: 'frame', frame: future })).toBe(state);
  });
});
