// The incident list's answers, with the live changes that arrived while they were on their way. A read takes the list
// at one moment and answers later; an incident created or changed in between reaches the tab as a frame first, and
// taking the answer as it stands would drop the new row (or undo the change) until the next reload. The incident page
// does the same for its state in room-state.ts.
import type { Incident } from '../model.js';

/** Newest first by created_at, ties by id (the server's order). */
export const newestFirst = (a: Incident, b: Incident): number =>
  b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id);

/**
 * Whether `a` is a later version of an incident than `b`. By `updated_at`, which every write sets from the writing
 * instance's clock while it holds the row: two versions written in the same millisecond tie, and the one held wins.
 */
export const isNewer = (a: Incident, b: Incident): boolean => a.updated_at > b.updated_at;

/**
 * The latest version seen of each incident recently heard of (frames, answers of this tab's own writes): a frame of
 * an older version, which can come after a newer one when two instances deliver one incident's changes (one locally,
 * one through the database), is stale and ignored, however the view has moved since (filtered out, waiting behind
 * the "N new" button, not loaded). Holds the `limit` most recently seen incidents.
 */
export class VersionLog {
  private readonly seen = new Map<string, string>();

  constructor(private readonly limit = 10_000) {}

  /** Whether a later version of `incident` was seen; if not, it is noted as the latest. */
  stale(incident: Incident): boolean {
    const latest = this.seen.get(incident.id);
    if (latest !== undefined && latest > incident.updated_at) return true;
    // Re-inserted, so the most recently seen stay when the oldest are let go.
    this.seen.delete(incident.id);
    this.seen.set(incident.id, incident.updated_at);
    if (this.seen.size > this.limit) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    return false;
  }
}

/** Incidents seen live, by id, the latest version of each. */
export type Arrivals = ReadonlyMap<string, Incident>;

/**
 * What arrives live while reads are on their way: each read in flight gets a record of its own (`start`), which
 * every arrival is noted in (`note`) until the read is done with it (`end`). Nothing is kept while no read is out.
 */
export class ArrivalTracker {
  private readonly open = new Set<Map<string, Incident>>();

  /** A record for one read, from now on. Pass it to `end` when the read has landed, failed or been dropped. */
  start(): Arrivals {
    const record = new Map<string, Incident>();
    this.open.add(record);
    return record;
  }

  end(record: Arrivals): void {
    this.open.delete(record as Map<string, Incident>);
  }

  /** Notes an incident seen live (a frame, or what this tab created) in every open record. */
  note(incident: Incident): void {
    for (const record of this.open) {
      const held = record.get(incident.id);
      if (!held || !isNewer(held, incident)) record.set(incident.id, incident);
    }
  }
}

/**
 * `answer` with the later versions of its rows that `arrivals` holds: each replaced, or dropped when it no longer
 * `matches` the view. Adds nothing: for a page of older rows, whose new arrivals belong above it.
 */
export function withNewerVersions(
  answer: readonly Incident[],
  arrivals: Arrivals,
  matches: (incident: Incident) => boolean,
): Incident[] {
  return answer.flatMap((row) => {
    const arrival = arrivals.get(row.id);
    if (!arrival || !isNewer(arrival, row)) return [row];
    return matches(arrival) ? [arrival] : [];
  });
}

/**
 * `answer` (one read's rows from the top of the list, newest first) with `arrivals` applied:
 * - an arrival newer than the answer's version of it replaces it, or removes it when it no longer `matches` the view;
 * - an arrival the answer lacks is added when it matches, unless `more` (the answer has a next page) and it sorts
 *   after the answer's last row: that page brings it;
 * - an answer's version at least as new as the arrival's is kept (it was read after that change).
 * Returns a new array, newest first.
 */
export function withArrivals(
  answer: readonly Incident[],
  arrivals: Arrivals,
  matches: (incident: Incident) => boolean,
  more: boolean,
): Incident[] {
  const rows = withNewerVersions(answer, arrivals, matches);
  const had = new Set(answer.map((i) => i.id));
  const last = answer.at(-1);
  for (const arrival of arrivals.values()) {
    if (had.has(arrival.id) || !matches(arrival)) continue;
    if (more && last && newestFirst(arrival, last) > 0) continue;
    rows.push(arrival);
  }
  return rows.sort(newestFirst);
}
