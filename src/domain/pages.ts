// The paged lists: an incident's events (newest first, or tailed in arrival order), the incidents and an incident's
// timeline. One function per list serves both the REST/tRPC `list` procedures (the page is the body, the next cursor
// goes out of band) and the tRPC-only `page` procedures (`{items, next_cursor}`), so the query and the cursor rules
// exist once.
import type { Kysely } from 'kysely';
import {
  TAIL_START,
  type Event,
  type EventPageInput,
  type Incident,
  type ListEventsInput,
  type ListIncidentsInput,
  type ListTimelineInput,
  type TimelineEntry,
  type TimelinePageInput,
} from '../../schema/index.js';
import { listEvents, oldestRunningTransaction, type EventsQuery, type PagedEventRow } from '../db/events.js';
import { listIncidents } from '../db/incidents.js';
import { toEvent, toIncident, toTimelineEntry } from '../db/rows.js';
import { timelineSlice } from '../db/timeline.js';
import type { Database } from '../db/types.js';
import {
  decodeEventCursor,
  decodeIncidentCursor,
  decodeTimelineCursor,
  encodeEventCursor,
  encodeIncidentCursor,
  encodeTailFrom,
  encodeTimelineCursor,
  type EventPosition,
  type IncidentPosition,
} from './cursor.js';
import { AppError } from './errors.js';
import { getIncident } from './incidents.js';

/** Where the next page starts: the query parameter to set and its value. */
export interface NextPage {
  param: 'cursor' | 'after';
  cursor: string;
}

export interface Page<T> {
  items: T[];
  /** Undefined when this page is the last one (a tail always has a next page). */
  next?: NextPage;
}

const positionOf = (row: PagedEventRow): EventPosition => ({
  timestamp: row.page_t,
  seq: row.page_s,
  xact: row.page_x,
});

/**
 * A page from `rows`, read with one row more than `limit` to know whether more follow: the rows to answer, the last
 * of them (the row a next cursor names), and whether more follow.
 */
export function splitPage<R>(rows: R[], limit: number): { kept: R[]; last: R | undefined; more: boolean } {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { kept, last: kept.at(-1), more };
}

function combination(message: string, path: string): AppError {
  return new AppError('INVALID_INPUT', message, [{ path, message }]);
}

/**
 * A page of an incident's events.
 * - Default and `cursor`: newest first by (timestamp desc, seq desc), strictly after the cursor's event; `next` is
 *   set when more events follow (one extra row is read to know).
 * - `after`: the tail, every event written after the cursor's event, in the order written (transaction, then seq),
 *   whatever its timestamp; events of transactions that may still be followed by a commit with lower seqs wait for
 *   a later poll rather than be skipped. `next` is always set (the last event returned, or the same position).
 *   With `catch_up` (tRPC's events.page only), nothing is held back: for a reader that hears later commits live.
 * `before` and `since` filter both, as do `level` and `event_type` (tRPC's events.page only); the cursor of a filtered
 * page names an event that passed the filter, and continuing from it with the same filter visits every matching
 * event once. Throws NOT_FOUND for an unknown incident, INVALID_INPUT (400) for a bad cursor, for `cursor` with
 * `after`, or for `catch_up` without `after`.
 */
export async function pageEvents(
  db: Kysely<Database>,
  input: ListEventsInput & Partial<Pick<EventPageInput, 'level' | 'event_type' | 'catch_up'>>,
): Promise<Page<Event>> {
  if (input.cursor !== undefined && input.after !== undefined) {
    throw combination('cursor and after cannot be combined: cursor pages newest first, after tails', 'cursor');
  }
  if (input.catch_up === true && input.after === undefined) {
    throw combination('catch_up reads a tail: it needs after', 'catch_up');
  }
  const tail =
    input.after === undefined
      ? undefined
      : input.after === TAIL_START
        ? { xact: '0', seq: '0' }
        : decodeEventCursor(input.after, 'after', input.incident_id);
  const below = input.cursor === undefined ? undefined : decodeEventCursor(input.cursor, 'cursor', input.incident_id);
  const incident = await getIncident(db, input.incident_id);

  const order: EventsQuery['order'] = tail
    ? { by: 'arrival', after: { xact: tail.xact, seq: tail.seq }, visible: input.catch_up === true }
    : { by: 'newest', below };
  const rows = await listEvents(db, {
    incident_id: input.incident_id,
    incident_created_at: new Date(incident.created_at),
    before: input.before,
    since: input.since,
    level: input.level,
    event_type: input.event_type,
    limit: input.limit + 1,
    order,
  });
  const { kept, last, more } = splitPage(rows, input.limit);
  const items = kept.map(toEvent);
  if (tail) {
    // A tail never ends: with nothing new, the client polls the same position again.
    const cursor = last ? encodeEventCursor(positionOf(last), input.incident_id) : (input.after ?? TAIL_START);
    return { items, next: { param: 'after', cursor } };
  }
  if (!more || !last) return { items };
  return { items, next: { param: 'cursor', cursor: encodeEventCursor(positionOf(last), input.incident_id) } };
}

/**
 * The tail cursor (`after`) of incident `incidentId`'s events from now: a tail from it returns every event that a
 * read starting after this call cannot see, and may repeat some it can (those of transactions still running now).
 * How a client that held a page and lost its live feed catches up, backdated events included.
 */
export async function tailFromNow(db: Kysely<Database>, incidentId: string): Promise<string> {
  return encodeTailFrom(await oldestRunningTransaction(db), incidentId);
}

/**
 * A page of incidents, newest first by (created_at desc, id desc), filtered as the input says; `next` is set when
 * more incidents follow. Throws INVALID_INPUT (400) for a bad cursor or a cursor with a non-zero offset.
 */
export async function pageIncidents(db: Kysely<Database>, input: ListIncidentsInput): Promise<Page<Incident>> {
  let below: IncidentPosition | undefined;
  if (input.cursor !== undefined) {
    if (input.offset !== 0) {
      throw combination('cursor and offset cannot be combined: the cursor already says where to continue', 'cursor');
    }
    below = decodeIncidentCursor(input.cursor, 'cursor');
  }
  const rows = await listIncidents(db, {
    status: input.status,
    severity: input.severity,
    source: input.source,
    tag: input.tag,
    limit: input.limit + 1,
    offset: input.offset,
    below,
  });
  const { kept, last, more } = splitPage(rows, input.limit);
  const items = kept.map(toIncident);
  if (!more || !last) return { items };
  return { items, next: { param: 'cursor', cursor: encodeIncidentCursor({ createdAt: last.page_t, id: last.id }) } };
}

/**
 * A page of an incident's timeline: oldest first (the order entries were written), or newest first with
 * `newest_first` (tRPC only); a `cursor` continues strictly past its entry in the same direction. `next` is set when
 * more entries follow (one extra row is read to know). Throws NOT_FOUND for an unknown incident, INVALID_INPUT (400)
 * for a cursor this timeline did not issue.
 */
export async function pageTimeline(
  db: Kysely<Database>,
  input: ListTimelineInput & Partial<Pick<TimelinePageInput, 'newest_first'>>,
): Promise<Page<TimelineEntry>> {
  const newestFirst = input.newest_first ?? false;
  const past =
    input.cursor === undefined
      ? undefined
      : decodeTimelineCursor(input.cursor, 'cursor', input.incident_id, newestFirst);
  await getIncident(db, input.incident_id);
  const rows = await timelineSlice(db, input.incident_id, {
    limit: input.limit + 1,
    newestFirst,
    ...(past !== undefined ? { past } : {}),
  });
  const { kept, last, more } = splitPage(rows, input.limit);
  const items = kept.map(toTimelineEntry);
  if (!more || !last) return { items };
  return {
    items,
    next: { param: 'cursor', cursor: encodeTimelineCursor(String(last.seq), input.incident_id, newestFirst) },
  };
}
