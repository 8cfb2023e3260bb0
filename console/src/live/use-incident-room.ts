// One incident's live state: loaded through tRPC, kept current by the room socket's frames, and loaded again after
// every reconnect (the welcome frame), so nothing said while the socket was down is missing.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { api } from '../api.js';
import type { LiveState } from '../components/connection-banner.js';
import { describeError } from '../errors.js';
import type { Action, Event, EventFilter, Incident, ServerFrame, TimelineEntry } from '../model.js';
import { matchesEventFilter, sameEventFilter } from '../model.js';
import { RoomSocket } from './room-socket.js';
import { merge } from './merge.js';

/** Events fetched per page (the server's cursor pages them). */
export const EVENTS_PAGE = 200;

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
        actions: [...change.actions].sort(byUrgency),
      };
      // Events fetched for a filter since changed are dropped: the page for the new filter is on its way.
      if (!sameEventFilter(change.filter, state.eventFilter)) return loaded;
      return {
        ...loaded,
        events: merge(state.events, change.events, newestEventFirst),
        // After a reconnect, older pages already loaded stay; their cursor still continues from the oldest.
        eventsNext: state.events.length > change.events.length ? state.eventsNext : change.next,
        eventsLoading: false,
      };
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
  const [roomError, setRoomError] = useState<string | undefined>();
  const socket = useRef<RoomSocket | undefined>(undefined);
  const nextRef = useRef<string | null>(null);
  nextRef.current = state.eventsNext;
  const filterRef = useRef<EventFilter>(state.eventFilter);
  filterRef.current = state.eventFilter;

  const load = useCallback(async () => {
    const filter = filterRef.current;
    try {
      const [incident, timeline, actions, events] = await Promise.all([
        api.incidents.get.query({ incident_id: id }),
        api.incidents.timeline.query({ incident_id: id }),
        api.incidents.actions.query({ incident_id: id }),
        api.events.page.query({ incident_id: id, limit: EVENTS_PAGE, ...filter }),
      ]);
      dispatch({
        kind: 'loaded',
        incident,
        timeline,
        actions,
        events: events.items,
        next: events.next_cursor,
        filter,
      });
      setError(undefined);
    } catch (err) {
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

  return { ...state, live, error, roomError, loadOlderEvents, filterEvents, say, applied };
}
