// What the incident page reads from the server for its events and timeline: the first page, the catch-up after a
// reconnect, and the timeline read back to what a landed load held. Each returns what the reducer (room-state.ts)
// needs to merge it without a gap.
import { api } from '../api.js';
import { httpStatusOf } from '../errors.js';
import type { Event, EventFilter, TimelineEntry } from '../model.js';
import type { EventsTail } from './room-state.js';

/** Events fetched per page (the server's cursor pages them). */
export const EVENTS_PAGE = 200;
/**
 * Catching up after a reconnect: pages of this many events written since the held position, at most CATCH_UP_PAGES
 * of them. The position moves only when a read lands, so this counts what came live since the last load as well as
 * what was written while away. Beyond it the list starts again from the newest events, with a cursor that continues
 * into everything older, rather than holding a gap nobody could page into (the older pages loaded are let go).
 */
const CATCH_UP_PAGE = 1000;
const CATCH_UP_PAGES = 5;
/**
 * Catching up the timeline: newest-first pages (the server's most, TIMELINE_PAGE_MAX) until one reaches an entry a
 * landed load read, at most TIMELINE_CATCH_UP_PAGES of them.
 */
const TIMELINE_CATCH_UP_PAGES = 5;

export interface LoadedTimeline {
  entries: TimelineEntry[];
  older: boolean;
  /** The entries read reach `landed` (or there was none): merged with those held; otherwise they replace them. */
  joined: boolean;
}

/**
 * The newest timeline entries, read back until they reach one of `landed` (the ids the last landed load read): after
 * an outage in which more was written than one page, the newest page alone would sit above the held entries with the
 * entries between them missing. With none landed, the newest page, which replaces what frames brought.
 */
export async function timelineSince(id: string, landed: ReadonlySet<string>): Promise<LoadedTimeline> {
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
    // None landed yet: what frames and the welcome brought may sit above a gap, so the newest page replaces them.
    if (landed.size === 0) return { entries, older, joined: false };
    if (!older || page.items.some((e) => landed.has(e.id))) return { entries, older, joined: true };
    cursor = page.next_cursor ?? undefined;
  }
  return { entries, older: true, joined: false };
}

export interface LoadedEvents {
  events: Event[];
  next: string | null;
  tail: EventsTail;
  /** For `caught-up`: where its range started (undefined: the whole incident). */
  since?: string | undefined;
  scope: 'first-page' | 'caught-up' | 'newest-again';
}

/** The newest page of events matching `filter`, with the position a later catch-up tails from. */
export async function firstPage(id: string, filter: EventFilter): Promise<LoadedEvents> {
  const requestedAt = Date.now();
  const page = await api.events.page.query({ incident_id: id, limit: EVENTS_PAGE, ...filter });
  return {
    events: page.items,
    next: page.next_cursor,
    tail: { cursor: page.tail_cursor, requestedAt },
    scope: 'first-page',
  };
}

/**
 * Every event written after `after` (the held position) that the server can see now, in the order written, whatever
 * its timestamp (`catch_up`: none held back behind a transaction still running; the room, live again before this is
 * asked, brings what commits later). With `since` (where the held cursor continues, when older pages remain unread),
 * only those at or after it: older ones are still ahead of that cursor, and the tail reads the held range, not the
 * whole incident. More than CATCH_UP_PAGES pages, or a position the server no longer takes (400, say after an
 * upgrade): the newest page instead (`newest-again`).
 */
export async function catchUp(
  id: string,
  filter: EventFilter,
  after: EventsTail,
  since: string | undefined,
): Promise<LoadedEvents> {
  const events: Event[] = [];
  let position = after.cursor;
  // The first read's position: everything written before it is in what this catch-up reads.
  let tail: EventsTail | undefined;
  try {
    for (let n = 0; n < CATCH_UP_PAGES; n++) {
      const requestedAt = Date.now();
      const page = await api.events.page.query({
        incident_id: id,
        limit: CATCH_UP_PAGE,
        after: position,
        catch_up: true,
        ...(since === undefined ? {} : { since }),
        ...filter,
      });
      tail ??= { cursor: page.tail_cursor, requestedAt };
      events.push(...page.items);
      // Nothing is held back, so a short page is the end of what has been written.
      if (page.items.length < CATCH_UP_PAGE) return { events, next: null, tail, since, scope: 'caught-up' };
      position = page.next_cursor ?? position;
    }
  } catch (err) {
    if (httpStatusOf(err) !== 400) throw err;
  }
  return { ...(await firstPage(id, filter)), scope: 'newest-again' };
}
