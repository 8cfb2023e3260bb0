// One incident's live state: loaded through tRPC, kept current by the room socket's frames, and loaded again after
// every reconnect (the welcome frame), so nothing said while the socket was down is missing. After a reconnect the
// events already loaded stay (older pages included, with their cursor): the events written since they were read are
// tailed in arrival order (`after`) and merged in, so every event stays reachable however many arrived meanwhile, and
// one sent with an older timestamp than those held (an alert that started before it was delivered) is not missed.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { api } from '../api.js';
import type { LiveState } from '../components/connection-banner.js';
import { describeError, httpStatusOf } from '../errors.js';
import type { Action, EventFilter, Incident } from '../model.js';
import { sameEventFilter } from '../model.js';
import { backoffDelay } from './backoff.js';
import { EVENTS_PAGE, catchUp, firstPage, timelineSince } from './room-reads.js';
import { RoomSocket } from './room-socket.js';
import { EMPTY, reduce, type EventsTail, type RoomState } from './room-state.js';

export interface IncidentRoom extends RoomState {
  live: LiveState;
  /** Set when the incident could not be loaded (unknown id, refused key, server away). */
  error: string | undefined;
  /** The server says there is no such incident: nothing to wait for, the room is closed. */
  missing: boolean;
  /** The last error frame the room sent about our own message. */
  roomError: string | undefined;
  /**
   * A load is asked or on its way (at mount, after each welcome, on a retry): what is shown may still change with what
   * it reads. Cleared when the newest load lands or fails. The page shows it as `aria-busy`.
   */
  loading: boolean;
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
  // True from the moment a load is asked (the welcome sets it in the same render as `live`), so a reader never sees
  // the room live and idle with the welcome's load still to come. `asked`: a load is asked and has not started yet;
  // one that ends meanwhile (the mount's, landing between the welcome and the render that starts the next) must not
  // clear `loading` (a review, 2026-12-03).
  const [loading, setLoading] = useState(true);
  const asked = useRef(false);
  // Loads asked for since mount: by a welcome, or by a failed load's retry. A load runs from an effect on this, after
  // React has rendered what was dispatched before, so the refs below hold what it must read from.
  const [loadsAsked, setLoadsAsked] = useState(0);
  const failures = useRef(0);
  // The newest load's number (a filter's first page takes numbers from the same count, but is no load).
  const latestLoad = useRef(0);
  const retry = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const socket = useRef<RoomSocket | undefined>(undefined);
  const nextRef = useRef<string | null>(null);
  nextRef.current = state.eventsNext;
  const filterRef = useRef<EventFilter>(state.eventFilter);
  filterRef.current = state.eventFilter;
  const landedRef = useRef<ReadonlySet<string>>(state.timelineLanded);
  landedRef.current = state.timelineLanded;
  const heldCountRef = useRef(0);
  heldCountRef.current = state.events.length;
  const tailRef = useRef<EventsTail | null>(state.eventsTail);
  tailRef.current = state.eventsTail;
  const floorRef = useRef<string | null>(state.eventsFloor);
  floorRef.current = state.eventsFloor;
  const actionTickRef = useRef(0);
  actionTickRef.current = state.actionTick;

  const loads = useRef(0);
  const load = useCallback(async () => {
    const seq = ++loads.current;
    latestLoad.current = seq;
    asked.current = false;
    setLoading(true);
    const filter = filterRef.current;
    // None held (first load, or a filter's page still on its way): the first page. Otherwise what was written since
    // the held position, within the held range when older pages remain.
    const tail = tailRef.current;
    const since = nextRef.current === null ? undefined : (floorRef.current ?? undefined);
    const startedAt = actionTickRef.current;
    // Only the incident's own refusal says it does not exist; a refused cursor (say, after an upgrade) does not.
    let incidentRefused: unknown;
    try {
      const [incident, timeline, actions, events] = await Promise.all([
        api.incidents.get.query({ incident_id: id }).catch((err: unknown) => {
          incidentRefused = err;
          throw err;
        }),
        // The newest entries: what a responder reads first, however long the timeline has grown.
        timelineSince(id, landedRef.current),
        api.incidents.actions.query({ incident_id: id }),
        tail === null || heldCountRef.current === 0 ? firstPage(id, filter) : catchUp(id, filter, tail, since),
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
      failures.current = 0;
    } catch (err) {
      const status = httpStatusOf(incidentRefused);
      if (status === 404 || status === 400) {
        // Incidents are never deleted: an unknown id stays unknown (and one that is not a UUID, 400, names none), so
        // the socket, whose upgrade the server refuses for it, would retry for ever. Said once; the room is closed.
        setMissing(true);
        socket.current?.close();
      } else {
        // The room stays joined, so no welcome will ask again: what this load was for (what was written while away)
        // would stay missing. Tried again with the socket's backoff, unless a later load has started.
        clearTimeout(retry.current);
        retry.current = setTimeout(() => {
          if (seq !== latestLoad.current) return;
          asked.current = true;
          setLoading(true);
          setLoadsAsked((n) => n + 1);
        }, backoffDelay(failures.current++));
      }
      setError(describeError(err));
    } finally {
      if (seq === latestLoad.current && !asked.current) setLoading(false);
    }
  }, [id]);

  useEffect(() => {
    void load();
    const room = new RoomSocket(id, user, {
      onFrame: (frame) => {
        // Every welcome, the first included: the load sent at mount read before the room was joined, and what
        // was written between that read and the join came as no frame. After a reconnect, what was missed.
        if (frame.type === 'welcome') {
          asked.current = true;
          setLoading(true);
          setLoadsAsked((n) => n + 1);
        }
        if (frame.type === 'error') setRoomError(frame.message);
        dispatch({ kind: 'frame', frame });
      },
      onState: setLive,
    });
    socket.current = room;
    return () => {
      room.close();
      clearTimeout(retry.current);
      socket.current = undefined;
    };
  }, [id, user, load]);

  useEffect(() => {
    if (loadsAsked > 0) void load();
  }, [loadsAsked, load]);

  const loadOlderEvents = useCallback(async () => {
    const cursor = nextRef.current;
    const filter = filterRef.current;
    if (!cursor) return;
    try {
      const requestedAt = Date.now();
      const page = await api.events.page.query({ incident_id: id, limit: EVENTS_PAGE, cursor, ...filter });
      dispatch({
        kind: 'older-events',
        events: page.items,
        next: page.next_cursor,
        from: cursor,
        tail: { cursor: page.tail_cursor, requestedAt },
        filter,
      });
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
      const seq = ++loads.current;
      firstPage(id, filter).then(
        (page) =>
          dispatch({ kind: 'filtered-events', events: page.events, next: page.next, tail: page.tail, filter, seq }),
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

  return { ...state, live, error, missing, roomError, loading, loadOlderEvents, filterEvents, say, applied };
}
