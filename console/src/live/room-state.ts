// One incident page's state and how each change moves it (a pure reducer, so its rules are unit-tested without a
// browser: test/unit/console-room-state.test.ts). The hook that feeds it is use-incident-room.ts.
import type { Action, Event, EventFilter, Incident, ServerFrame, TimelineEntry } from '../model.js';
import { matchesEventFilter, sameEventFilter } from '../model.js';
import { merge } from './merge.js';

/** A tail position (`after`) for the catch-up, and when it was asked for (`Date.now()`, ms): a later one is newer. */
export interface EventsTail {
  cursor: string;
  requestedAt: number;
}

export interface RoomState {
  incident: Incident | undefined;
  /** Oldest first. */
  timeline: TimelineEntry[];
  /** Older entries exist than the page the last load read (a timeline of more than TIMELINE_PAGE_MAX entries). */
  timelineOlder: boolean;
  /**
   * The ids of the entries the last load that landed read. The next load reads back until it meets one of them:
   * entries that came as frames (the welcome's newest ones included) may sit above a gap a failed or overtaken load
   * left, so they do not count.
   */
  timelineLanded: ReadonlySet<string>;
  /** Most urgent first. */
  actions: Action[];
  /** Newest first. */
  events: Event[];
  /** Cursor of the next (older) page of events; null when all are here. */
  eventsNext: string | null;
  /**
   * Where a catch-up after a reconnect tails from (`after`): a position taken before the reads whose events are held
   * (the oldest of them, when an older page was asked for before a catch-up landed), so every event written since,
   * whatever its timestamp, comes after it. Null until events have been read for the current filter.
   */
  eventsTail: EventsTail | null;
  /**
   * The timestamp of the oldest event the pages read (where `eventsNext` continues below it); null when no page with a
   * next cursor was read. Events that came live may be older (a backdated alert), so this, not the oldest held, bounds
   * a catch-up to the held range.
   */
  eventsFloor: string | null;
  /**
   * The level/type filter the events were fetched with: the server filters (events.page), so paging follows its
   * cursor through matching events only, and live events that do not match are left out.
   */
  eventFilter: EventFilter;
  /** True while the first page for a new filter is on its way (the list is empty meanwhile, not "no events"). */
  eventsLoading: boolean;
  present: string[];
  /**
   * Actions carry no version to compare (unlike the incident's `updated_at`), so freshness is told by arrival: each
   * action frame or applied mutation takes the next `actionTick`, and `actionTicks` remembers it per action id. A load
   * notes the tick when it starts; an action it returns that a frame touched after that is older than what is held.
   */
  actionTick: number;
  actionTicks: ReadonlyMap<string, number>;
  /** The number of the newest load that has landed: an older one answering after it is dropped. */
  loadedSeq: number;
}

export type Change =
  | {
      kind: 'loaded';
      incident: Incident;
      /** The newest entries of the timeline, in any order. */
      timeline: TimelineEntry[];
      /** Entries older than the oldest read exist. */
      timelineOlder: boolean;
      /**
       * Whether the entries read reach those held when the load was sent (or none were held): merged with them. If
       * not, more were written while away than a catch-up reads, and they replace the held ones rather than sit above
       * them with a gap nobody could see.
       */
      timelineJoined: boolean;
      actions: Action[];
      events: Event[];
      next: string | null;
      /** The position the next catch-up tails from (`eventsTail`). */
      tail: EventsTail;
      /** For `caught-up`: the `since` it read from (undefined: the whole incident). */
      since?: string | undefined;
      filter: EventFilter;
      /**
       * What `events` are: `first-page`, the newest page (`next` continues it); `caught-up`, every event written
       * since `eventsTail` within the held range, backdated ones included (the held ones and their cursor stay;
       * `next` is unused); `newest-again`, the newest page after more was written than a catch-up reads (it replaces
       * the held ones, and `next` continues into the rest).
       */
      scope: 'first-page' | 'caught-up' | 'newest-again';
      /** `actionTick` when the load was sent. */
      startedAt: number;
      /** The load's number, counting up from 1 per page: a later load read later. */
      seq: number;
    }
  /**
   * An older page, read from the cursor `from` (dropped unless the list still continues there), with the position
   * taken before its read: it may be older than the held one, if the page was asked for before a catch-up landed.
   */
  | { kind: 'older-events'; events: Event[]; next: string | null; from: string; tail: EventsTail; filter: EventFilter }
  | { kind: 'event-filter'; filter: EventFilter }
  /** A filter's first page, numbered as loads are: one overtaken by a load that landed is dropped. */
  | {
      kind: 'filtered-events';
      events: Event[];
      next: string | null;
      tail: EventsTail;
      filter: EventFilter;
      seq: number;
    }
  | { kind: 'frame'; frame: ServerFrame }
  | { kind: 'incident'; incident: Incident }
  | { kind: 'action'; action: Action };

const byTime = (a: TimelineEntry, b: TimelineEntry): number => a.timestamp.localeCompare(b.timestamp);
const newestEventFirst = (a: Event, b: Event): number => b.timestamp.localeCompare(a.timestamp);
const byUrgency = (a: Action, b: Action): number => a.priority - b.priority || a.created_at.localeCompare(b.created_at);

/** Timeline entries and events: both ordered by their ISO-8601 `timestamp`. */
interface Timed {
  timestamp: string;
}

/**
 * The held items as new as the oldest of `read`: those that came as frames while the read was on its way, after it
 * read them, which it lacks. The rest are let go when the read replaces them.
 */
function sinceOldestOf<T extends Timed>(held: readonly T[], read: readonly Timed[]): T[] {
  const oldest = oldestOf(read);
  return oldest === undefined ? [] : held.filter((e) => e.timestamp >= oldest);
}

/** Whether `held` (oldest first) goes back further than `read`: then what is older than both is as `held` said. */
function reachesFurther(held: readonly TimelineEntry[], read: readonly TimelineEntry[]): boolean {
  const oldestHeld = held[0]?.timestamp;
  const oldestRead = oldestOf(read);
  return oldestHeld !== undefined && oldestRead !== undefined && oldestHeld < oldestRead;
}

const oldestOf = (entries: readonly Timed[]): string | undefined =>
  entries.reduce<string | undefined>(
    (min, e) => (min === undefined || e.timestamp < min ? e.timestamp : min),
    undefined,
  );

/** Where `eventsNext` continues below: the oldest of a page that has more after it. */
const floorOf = (page: readonly Event[], next: string | null): string | null =>
  next === null ? null : (page.at(-1)?.timestamp ?? null);

/** The newer of two tail positions. */
const newerTail = (held: EventsTail | null, got: EventsTail): EventsTail =>
  held && held.requestedAt > got.requestedAt ? held : got;

/** The older of two tail positions: a catch-up from it reads what either would. */
const olderTail = (held: EventsTail | null, got: EventsTail): EventsTail =>
  held && held.requestedAt < got.requestedAt ? held : got;

/** The events fields once a newest page (`next` continues it, `tail` was taken before it) lands over `held`. */
function newestPage(
  state: RoomState,
  held: readonly Event[],
  page: readonly Event[],
  next: string | null,
  tail: EventsTail,
) {
  return {
    events: merge(held, page, newestEventFirst),
    eventsNext: next,
    eventsFloor: floorOf(page, next),
    eventsTail: newerTail(state.eventsTail, tail),
    eventsLoading: false,
  };
}

/** Whether a catch-up read from `since` covered everything the held range now spans (older pages may have landed). */
const covers = (state: RoomState, since: string | undefined): boolean =>
  since === undefined || (state.eventsNext !== null && state.eventsFloor !== null && since <= state.eventsFloor);

/** The later of two versions of the incident (a load may answer after a fresher frame arrived). */
const newer = (held: Incident | undefined, got: Incident): Incident =>
  held && held.id === got.id && held.updated_at > got.updated_at ? held : got;

/** An action's newer version, with the tick that says when it arrived. */
function withAction(state: RoomState, action: Action): RoomState {
  const actionTick = state.actionTick + 1;
  return {
    ...state,
    actions: merge(state.actions, [action], byUrgency),
    actionTick,
    actionTicks: new Map(state.actionTicks).set(action.id, actionTick),
  };
}

/** The state after one change: a load's answer, a page, a filter, a frame, or what a mutation returned. */
export function reduce(state: RoomState, change: Change): RoomState {
  switch (change.kind) {
    case 'loaded': {
      // Overlapping loads (a reconnect while the first load was slow): one sent earlier read earlier, and answering
      // last it would put back what the later one read.
      if (change.seq < state.loadedSeq) return state;
      // Touched by a frame or a mutation since the load was sent: newer than what the load read.
      const touched = (a: Action): boolean => (state.actionTicks.get(a.id) ?? 0) > change.startedAt;
      const answered = new Set(change.actions.map((a) => a.id));
      const loaded = {
        ...state,
        loadedSeq: change.seq,
        timelineLanded: new Set(change.timeline.map((e) => e.id)),
        incident: newer(state.incident, change.incident),
        // Not joined to the held entries: they are let go but for those that came live meanwhile.
        timeline: merge(
          change.timelineJoined ? state.timeline : sinceOldestOf(state.timeline, change.timeline),
          change.timeline,
          byTime,
        ),
        // Joined to held entries that go back further than what was read: what is older than those is as it was (a
        // reload's newest page says nothing about it). Otherwise the answer says.
        timelineOlder:
          change.timelineJoined && reachesFurther(state.timeline, change.timeline)
            ? state.timelineOlder
            : change.timelineOlder,
        // Merged, not replaced: an action the analysis made while this load was on its way arrives as a frame
        // before the load's older list, which would otherwise drop it until the next reload. And an action a frame
        // changed while the load was on its way keeps the frame's version: the load read it before that change.
        // A held action the answer lacks, untouched since the load was sent, was deleted (a new analysis replaces
        // its pending suggestions): it goes.
        actions: merge(
          state.actions.filter((a) => answered.has(a.id) || touched(a)),
          change.actions.filter((a) => !touched(a)),
          byUrgency,
        ),
      };
      // Events fetched for a filter since changed are dropped: the page for the new filter is on its way.
      if (!sameEventFilter(change.filter, state.eventFilter)) return loaded;
      switch (change.scope) {
        case 'first-page':
          // Live events that arrived before the page are merged in (they are newer, or the same).
          return { ...loaded, ...newestPage(state, state.events, change.events, change.next, change.tail) };
        case 'caught-up':
          // The events it caught up were let go meanwhile (a filter changed and changed back): the first page
          // for the filter is on its way, and these alone would look like the whole list.
          if (state.eventsTail === null) return loaded;
          // Everything written since the held events were read, in their range, merged where each belongs (a
          // backdated one among them): the cursor still continues from the oldest. If an older page landed while it
          // was on its way, the range grew below what it read: the position stays, so the next one reads that too.
          return {
            ...loaded,
            events: merge(state.events, change.events, newestEventFirst),
            eventsTail: covers(state, change.since) ? newerTail(state.eventsTail, change.tail) : state.eventsTail,
            eventsLoading: false,
          };
        case 'newest-again': {
          // The held events are let go (`next` continues into them), except those that came live meanwhile.
          const arrived = sinceOldestOf(state.events, change.events);
          return { ...loaded, ...newestPage(state, arrived, change.events, change.next, change.tail) };
        }
      }
      return loaded;
    }
    case 'older-events':
      // For another filter, or the list was started again from the newest (a long outage) while it was on its way:
      // its rows would sit below a gap and its cursor would skip what lies between.
      if (!sameEventFilter(change.filter, state.eventFilter) || change.from !== state.eventsNext) return state;
      return {
        ...state,
        events: merge(state.events, change.events, newestEventFirst),
        eventsNext: change.next,
        eventsFloor: floorOf(change.events, change.next),
        eventsTail: olderTail(state.eventsTail, change.tail),
      };
    case 'event-filter':
      if (sameEventFilter(change.filter, state.eventFilter)) return state;
      // The held position was taken for the held events: the new filter's first page brings its own.
      return {
        ...state,
        eventFilter: change.filter,
        events: [],
        eventsNext: null,
        eventsFloor: null,
        eventsTail: null,
        eventsLoading: true,
      };
    case 'filtered-events':
      // A load sent after it read the same filter later, and its cursor, floor and position go together.
      if (!sameEventFilter(change.filter, state.eventFilter) || change.seq < state.loadedSeq) return state;
      return { ...state, ...newestPage(state, state.events, change.events, change.next, change.tail) };

    case 'incident':
      return { ...state, incident: newer(state.incident, change.incident) };
    case 'action':
      return withAction(state, change.action);
    case 'frame':
      return applyFrame(state, change.frame);
  }
}

function applyFrame(state: RoomState, frame: ServerFrame): RoomState {
  switch (frame.type) {
    case 'welcome':
      return {
        ...state,
        incident: newer(state.incident, frame.incident),
        present: frame.present,
        timeline: merge(state.timeline, frame.timeline, byTime),
      };
    case 'presence':
      return { ...state, present: frame.present };
    case 'incident.updated':
      return { ...state, incident: newer(state.incident, frame.incident) };
    case 'event.created': {
      const matching = frame.events.filter((e) => matchesEventFilter(e, state.eventFilter));
      return matching.length === 0 ? state : { ...state, events: merge(state.events, matching, newestEventFirst) };
    }
    case 'timeline.created':
      return { ...state, timeline: merge(state.timeline, [frame.entry], byTime) };
    case 'message': {
      // Chat is stored as a comment entry with this id (src/domain/chat.ts); shown as the same entry.
      const entry: TimelineEntry = {
        id: frame.id,
        incident_id: frame.incident_id,
        entry_type: 'comment',
        title: `Message from ${frame.user}`,
        description: frame.message,
        actor: frame.user,
        timestamp: frame.timestamp,
        metadata: {},
      };
      return { ...state, timeline: merge(state.timeline, [entry], byTime) };
    }
    case 'action.created':
    case 'action.updated':
      return withAction(state, frame.action);
    case 'action.deleted': {
      // Its tick too: a load sent before the deletion, which still lists the action, must not bring it back.
      const actionTick = state.actionTick + 1;
      return {
        ...state,
        actions: state.actions.filter((a) => a.id !== frame.action_id),
        actionTick,
        actionTicks: new Map(state.actionTicks).set(frame.action_id, actionTick),
      };
    }
    case 'error':
    case 'pong':
      return state;
    default:
      return unknownFrame(state, frame);
  }
}

/**
 * A frame of a type this console does not know: a server newer than the page (a tab left open through an upgrade)
 * may send one. Ignored, rather than leaving the page without state. `never` keeps the switch above exhaustive for
 * the types this build knows.
 */
function unknownFrame(state: RoomState, _frame: never): RoomState {
  return state;
}

export const EMPTY: RoomState = {
  incident: undefined,
  timeline: [],
  timelineOlder: false,
  timelineLanded: new Set(),
  actions: [],
  events: [],
  eventsNext: null,
  eventsTail: null,
  eventsFloor: null,
  eventFilter: {},
  eventsLoading: true,
  present: [],
  actionTick: 0,
  actionTicks: new Map(),
  loadedSeq: 0,
};
