// One incident's live state: loaded through tRPC, kept current by the room socket's frames, and loaded again after
// every reconnect (the welcome frame), so nothing said while the socket was down is missing. After a reconnect the
// events already loaded stay (older pages included, with their cursor): only the events since the newest one held are
// fetched and merged in, so every event stays reachable however many arrived meanwhile.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { api } from '../api.js';
import type { LiveState } from '../components/connection-banner.js';
import { describeError, httpStatusOf } from '../errors.js';
import type { Action, Event, EventFilter, Incident, ServerFrame, TimelineEntry } from '../model.js';
import { matchesEventFilter, sameEventFilter } from '../model.js';
import { RoomSocket } from './room-socket.js';
import { merge } from './merge.js';

/** Events fetched per page (the server's cursor pages them). */
export const EVENTS_PAGE = 200;
/**
 * Catching up after a reconnect: pages of this many events since the newest held, at most CATCH_UP_PAGES of them.
 * Beyond that (an outage with more events than a reader would scroll through) the list starts again from the newest
 * events, with a cursor that continues into everything older, rather than holding a gap nobody could page into.
 */
const CATCH_UP_PAGE = 1000;
const CATCH_UP_PAGES = 10;

export interface RoomState {
  incident: Incident | undefined;
  /** Oldest first. */
  timeline: TimelineEntry[];
  /** Most urgent first. */
  actions: Action[];
  /** Newest first. */
  events: Event[];
  /** Cursor of the next (older) page of events; null when all are here. */
  eventsNext: string | null;
  /**
   * The level/type filter the events were fetched with: the server filters (events.page), so paging follows its
   * cursor through matching events only, and live events that do not match are left out.
   */
  eventFilter: EventFilter;
  /** True while the first page for a new filter is on its way (the list is empty meanwhile, not "no events"). */
  eventsLoading: boolean;
  present: string[];
}

type Change =
  | {
      kind: 'loaded';
      incident: Incident;
      timeline: TimelineEntry[];
      actions: Action[];
      events: Event[];
      next: string | null;
      filter: EventFilter;
      /**
       * What `events` are: `first-page`, the newest page (`next` continues it); `since-newest`, every event since the
       * newest one held (the held ones and their cursor stay); `since-newest-cut`, the newest of more than that
       * (they replace the held ones, and `next` continues into the rest).
       */
      scope: 'first-page' | 'since-newest' | 'since-newest-cut';
    }
  | { kind: 'older-events'; events: Event[]; next: string | null; filter: EventFilter }
  | { kind: 'event-filter'; filter: EventFilter }
  | { kind: 'filtered-events'; events: Event[]; next: string | null; filter: EventFilter }
  | { kind: 'frame'; frame: ServerFrame }
  | { kind: 'incident'; incident: Incident }
  | { kind: 'action'; action: Action };

const byTime = (a: TimelineEntry, b: TimelineEntry): number => a.timestamp.localeCompare(b.timestamp);
const newestEventFirst = (a: Event, b: Event): number => b.timestamp.localeCompare(a.timestamp);
const byUrgency = (a: Action, b: Action): number => a.priority - b.priority || a.created_at.localeCompare(b.created_at);

/** The later of two versions of the incident (a load may answer after a fresher frame arrived). */
const newer = (held: Incident | undefined, got: Incident): Incident =>
  held && held.id === got.id && held.updated_at > got.updated_at ? held : got;

function reduce(state: RoomState, change: Change): RoomState {
  switch (change.kind) {
    case 'loaded': {
      const loaded = {
        ...state,
        incident: newer(state.incident, change.incident),
        timeline: merge(state.timeline, change.timeline, byTime),
        // Merged, not replaced: an action the analysis made while this load was on its way arrives as a frame
        // before the load's older list, which would otherwise drop it until the next reload.
        actions: merge(state.actions, change.actions, byUrgency),
      };
      // Events fetched for a filter since changed are dropped: the page for the new filter is on its way.
      if (!sameEventFilter(change.filter, state.eventFilter)) return loaded;
      switch (change.scope) {
        case 'first-page':
          // Live events that arrived before the page are merged in (they are newer, or the same).
          return {
            ...loaded,
            events: merge(state.events, change.events, newestEventFirst),
            eventsNext: change.next,
            eventsLoading: false,
          };
        case 'since-newest':
          // Nothing missing between the held events and the new ones: the cursor still continues from the oldest.
          return { ...loaded, events: merge(state.events, change.events, newestEventFirst), eventsLoading: false };
        case 'since-newest-cut':
          return {
            ...loaded,
            events: [...change.events].sort(newestEventFirst),
            eventsNext: change.next,
            eventsLoading: false,
          };
      }
      return loaded;
    }
    case 'older-events':
      if (!sameEventFilter(change.filter, state.eventFilter)) return state;
      return { ...state, events: merge(state.events, change.events, newestEventFirst), eventsNext: change.next };
    case 'event-filter':
      if (sameEventFilter(change.filter, state.eventFilter)) return state;
      return { ...state, eventFilter: change.filter, events: [], eventsNext: null, eventsLoading: true };
    case 'filtered-events':
      if (!sameEventFilter(change.filter, state.eventFilter)) return state;
      return {
        ...state,
        events: merge(state.events, change.events, newestEventFirst),
        eventsNext: change.next,
        eventsLoading: false,
      };
    case 'incident':
      return { ...state, incident: newer(state.incident, change.incident) };
    case 'action':
      return { ...state, actions: merge(state.actions, [change.action], byUrgency) };
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
      return { ...state, actions: merge(state.actions, [frame.action], byUrgency) };
    case 'error':
    case 'pong':
      return state;
  }
}

interface LoadedEvents {
  events: Event[];
  next: string | null;
  scope: 'first-page' | 'since-newest' | 'since-newest-cut';
}

async function firstPage(id: string, filter: EventFilter): Promise<LoadedEvents> {
  const page = await api.events.page.query({ incident_id: id, limit: EVENTS_PAGE, ...filter });
  return { events: page.items, next: page.next_cursor, scope: 'first-page' };
}

/**
 * Every event at or after `since` (the newest held event's time), newest first, following the server's cursor; cut
 * after CATCH_UP_PAGES pages, with the cursor that continues from there.
 */
async function eventsSince(id: string, filter: EventFilter, since: string): Promise<LoadedEvents> {
  const events: Event[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < CATCH_UP_PAGES; n++) {
    const page = await api.events.page.query({
      incident_id: id,
      limit: CATCH_UP_PAGE,
      since,
      ...filter,
      ...(cursor ? { cursor } : {}),
    });
    events.push(...page.items);
    if (page.next_cursor === null) return { events, next: null, scope: 'since-newest' };
    cursor = page.next_cursor;
  }
  // The cursor names an event's place in the newest-first order: followed without `since`, it goes on into the
  // older events, the ones held included.
  return { events, next: cursor ?? null, scope: 'since-newest-cut' };
}

const EMPTY: RoomState = {
  incident: undefined,
  timeline: [],
  actions: [],
  events: [],
  eventsNext: null,
  eventFilter: {},
  eventsLoading: true,
  present: [],
};

export interface IncidentRoom extends RoomState {
  live: LiveState;
  /** Set when the incident could not be loaded (unknown id, refused key, server away). */
  error: string | undefined;
  /** The server says there is no such incident: nothing to wait for, the room is closed. */
  missing: boolean;
  /** The last error frame the room sent about our own message. */
  roomError: string | undefined;
  loadOlderEvents(): Promise<void>;
  /** Fetches the events again, filtered by the server. */
  filterEvents(filter: EventFilter): void;
  say(user: string, message: string): boolean;
  /** Applies what a mutation returned at once; the room's frame confirms it a moment later. */
  applied(change: { incident: Incident } | { action: Action }): void;
}

/** The incident `id`, live; `user` names this tab in the room when no key does. */
export function useIncidentRoom(id: string, user: string | undefined): IncidentRoom {
  const [state, dispatch] = useReducer(reduce, EMPTY);
  const [live, setLive] = useState<LiveState>('connecting');
  const [error, setError] = useState<string | undefined>();
  const [missing, setMissing] = useState(false);
  const [roomError, setRoomError] = useState<string | undefined>();
  const socket = useRef<RoomSocket | undefined>(undefined);
  const nextRef = useRef<string | null>(null);
  nextRef.current = state.eventsNext;
  const filterRef = useRef<EventFilter>(state.eventFilter);
  filterRef.current = state.eventFilter;
  const eventsRef = useRef<readonly Event[]>(state.events);
  eventsRef.current = state.events;

  const load = useCallback(async () => {
    const filter = filterRef.current;
    // Newest first: the first held event is the newest. None held (first load, or a filter's page still on its
    // way): the first page.
    const newest = eventsRef.current[0]?.timestamp;
    try {
      const [incident, timeline, actions, events] = await Promise.all([
        api.incidents.get.query({ incident_id: id }),
        api.incidents.timeline.query({ incident_id: id }),
        api.incidents.actions.query({ incident_id: id }),
        newest === undefined ? firstPage(id, filter) : eventsSince(id, filter, newest),
      ]);
      dispatch({ kind: 'loaded', incident, timeline, actions, ...events, filter });
      setError(undefined);
    } catch (err) {
      const status = httpStatusOf(err);
      if (status === 404 || status === 400) {
        // Incidents are never deleted: an unknown id stays unknown (and one that is not a UUID, 400, names none), so
        // the socket, whose upgrade the server refuses for it, would retry for ever. Said once; the room is closed.
        setMissing(true);
        socket.current?.close();
      }
      setError(describeError(err));
    }
  }, [id]);

  useEffect(() => {
    let welcomed = false;
    void load();
    const room = new RoomSocket(id, user, {
      onFrame: (frame) => {
        if (frame.type === 'welcome') {
          // The first welcome comes with the first load; later ones follow a reconnect: load what was missed.
          if (welcomed) void load();
          welcomed = true;
        }
        if (frame.type === 'error') setRoomError(frame.message);
        dispatch({ kind: 'frame', frame });
      },
      onState: setLive,
    });
    socket.current = room;
    return () => {
      room.close();
      socket.current = undefined;
    };
  }, [id, user, load]);

  const loadOlderEvents = useCallback(async () => {
    const cursor = nextRef.current;
    const filter = filterRef.current;
    if (!cursor) return;
    try {
      const page = await api.events.page.query({ incident_id: id, limit: EVENTS_PAGE, cursor, ...filter });
      dispatch({ kind: 'older-events', events: page.items, next: page.next_cursor, filter });
    } catch (err) {
      setError(describeError(err));
    }
  }, [id]);

  const filterEvents = useCallback(
    (filter: EventFilter) => {
      if (sameEventFilter(filter, filterRef.current)) return;
      // Set at once, so a frame or page arriving before the new page is judged by the new filter.
      filterRef.current = filter;
      nextRef.current = null;
      dispatch({ kind: 'event-filter', filter });
      api.events.page.query({ incident_id: id, limit: EVENTS_PAGE, ...filter }).then(
        (page) => dispatch({ kind: 'filtered-events', events: page.items, next: page.next_cursor, filter }),
        (err: unknown) => setError(describeError(err)),
      );
    },
    [id],
  );

  const say = useCallback((u: string, message: string) => {
    setRoomError(undefined);
    return socket.current?.say(u, message) ?? false;
  }, []);

  const applied = useCallback((change: { incident: Incident } | { action: Action }) => {
    dispatch(
      'incident' in change
        ? { kind: 'incident', incident: change.incident }
        : { kind: 'action', action: change.action },
    );
  }, []);

  return { ...state, live, error, missing, roomError, loadOlderEvents, filterEvents, say, applied };
}
