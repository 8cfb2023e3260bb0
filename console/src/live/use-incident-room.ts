// One incident's live state: loaded through tRPC, kept current by the room socket's frames, and loaded again after
// every reconnect (the welcome frame), so nothing said while the socket was down is missing. After a reconnect the
// events already loaded stay (older pages included, with their cursor): the events written since they were read are
// tailed in arrival order (`after`) and merged in, so every event stays reachable however many arrived meanwhile, and
// one sent with an older timestamp than those held (an alert that started before it was delivered) is not missed.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { api } from '../api.js';
import type { LiveState } from '../components/connection-banner.js';
import { describeError, httpStatusOf } from '../errors.js';
import type { Action, Event, EventFilter, Incident, TimelineEntry } from '../model.js';
import { sameEventFilter } from '../model.js';
import { RoomSocket } from './room-socket.js';
import { EMPTY, reduce, type RoomState } from './room-state.js';

/** Events fetched per page (the server's cursor pages them). */
export const EVENTS_PAGE = 200;
/**
 * Catching up after a reconnect: pages of this many events written since the held ones were read, at most
 * CATCH_UP_PAGES of them. Beyond that (an outage with more events than a reader would scroll through) the list starts
 * again from the newest events, with a cursor that continues into everything older, rather than holding a gap nobody
 * could page into.
 */
const CATCH_UP_PAGE = 1000;
const CATCH_UP_PAGES = 10;

/**
 * Catching up the timeline: newest-first pages (the server's most, TIMELINE_PAGE_MAX) until one reaches an entry held,
 * at most TIMELINE_CATCH_UP_PAGES of them.
 */
const TIMELINE_CATCH_UP_PAGES = 5;

interface LoadedTimeline {
  entries: TimelineEntry[];
  older: boolean;
  joined: boolean;
}

/**
 * The newest timeline entries, read back until they reach one of `held` (the ids held when the load was sent): after
 * an outage in which more was written than one page, the newest page alone would sit above the held entries with the
 * entries between them missing. With none held, the newest page.
 */
async function timelineSince(id: string, held: ReadonlySet<string>): Promise<LoadedTimeline> {
  const entries: TimelineEntry[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < TIMELINE_CATCH_UP_PAGES; n++) {
    const page = await api.incidents.timelinePage.query({
      incident_id: id,
      newest_first: true,
      ...(cursor ? { cursor } : {}),
    });
    entries.push(...page.items);
    const older = page.next_cursor !== null;
    if (held.size === 0 || !older || page.items.some((e) => held.has(e.id))) return { entries, older, joined: true };
    cursor = page.next_cursor ?? undefined;
  }
  return { entries, older: true, joined: false };
}

interface LoadedEvents {
  events: Event[];
  next: string | null;
  tail: string;
  scope: 'first-page' | 'caught-up' | 'newest-again';
}

async function firstPage(id: string, filter: EventFilter): Promise<LoadedEvents> {
  const page = await api.events.page.query({ incident_id: id, limit: EVENTS_PAGE, ...filter });
  return { events: page.items, next: page.next_cursor, tail: page.tail_cursor, scope: 'first-page' };
}

/**
 * Every event written after `after` (the held events' tail position), in the order written, whatever its timestamp;
 * with `since` (the oldest held event's time, when older pages remain unread), only those at or after it: older ones
 * are still ahead of the held cursor, and the tail then reads only the held range, not the whole incident. More than
 * CATCH_UP_PAGES pages: the newest page instead (`newest-again`).
 */
async function catchUp(id: string, filter: EventFilter, after: string, since?: string): Promise<LoadedEvents> {
  const events: Event[] = [];
  let position = after;
  // The first read's position: everything written before it is in what this catch-up reads.
  let tail: string | undefined;
  for (let n = 0; n < CATCH_UP_PAGES; n++) {
    const page = await api.events.page.query({
      incident_id: id,
      limit: CATCH_UP_PAGE,
      after: position,
      ...(since === undefined ? {} : { since }),
      ...filter,
    });
    tail ??= page.tail_cursor;
    events.push(...page.items);
    // A tail has no last page: a short one is the end of what has been written.
    if (page.items.length < CATCH_UP_PAGE) return { events, next: null, tail, scope: 'caught-up' };
    position = page.next_cursor ?? position;
  }
  return { ...(await firstPage(id, filter)), scope: 'newest-again' };
}

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
  const timelineRef = useRef<readonly TimelineEntry[]>(state.timeline);
  timelineRef.current = state.timeline;
  const eventsRef = useRef<readonly Event[]>(state.events);
  eventsRef.current = state.events;
  const tailRef = useRef<string | null>(state.eventsTail);
  tailRef.current = state.eventsTail;
  const actionTickRef = useRef(0);
  actionTickRef.current = state.actionTick;

  const loads = useRef(0);
  const load = useCallback(async () => {
    const seq = ++loads.current;
    const filter = filterRef.current;
    // None held (first load, or a filter's page still on its way): the first page. Otherwise what was written since
    // the held events were read, within their range when older pages remain (newest first: the last is the oldest).
    // Read now, before the welcome frame that sent this load merges its newest entries in.
    const heldTimeline = new Set(timelineRef.current.map((e) => e.id));
    const held = eventsRef.current;
    const tail = tailRef.current;
    const since = nextRef.current === null ? undefined : held.at(-1)?.timestamp;
    const startedAt = actionTickRef.current;
    try {
      const [incident, timeline, actions, events] = await Promise.all([
        api.incidents.get.query({ incident_id: id }),
        // The newest entries: what a responder reads first, however long the timeline has grown.
        timelineSince(id, heldTimeline),
        api.incidents.actions.query({ incident_id: id }),
        tail === null || held.length === 0 ? firstPage(id, filter) : catchUp(id, filter, tail, since),
      ]);
      dispatch({
        kind: 'loaded',
        incident,
        timeline: timeline.entries,
        timelineOlder: timeline.older,
        timelineJoined: timeline.joined,
        actions,
        ...events,
        filter,
        startedAt,
        seq,
      });
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
        (page) =>
          dispatch({
            kind: 'filtered-events',
            events: page.items,
            next: page.next_cursor,
            tail: page.tail_cursor,
            filter,
          }),
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
