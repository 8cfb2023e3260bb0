// The incident list's answer to a load, with the live changes that arrived while it was on its way. A load reads the
// list at one moment and answers later; an incident created or changed in between reaches the tab as a frame first,
// and taking the answer as it stands would drop the new row (or undo the change) until the next reload. The incident
// page does the same for its state in room-state.ts.
import type { Incident } from '../model.js';

/** Newest first by created_at, ties by id (the server's order). */
export const newestFirst = (a: Incident, b: Incident): number =>
  b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id);

/** Records the latest version of each incident seen live, by `updated_at`. */
export function noteArrival(arrivals: Map<string, Incident>, incident: Incident): void {
  const held = arrivals.get(incident.id);
  if (!held || incident.updated_at >= held.updated_at) arrivals.set(incident.id, incident);
}

/**
 * `answer` (one load's rows, newest first) with `arrivals` (incidents seen live since the load was sent) applied:
 * - an arrival newer than the answer's version of it replaces it, or removes it when it no longer `matches` the view;
 * - an arrival the answer lacks is added when it matches, unless `more` (the answer has a next page) and it sorts
 *   after the answer's last row: that page brings it;
 * - an answer's version at least as new as the arrival's is kept (it was read after that change).
 * Returns a new array, newest first.
 */
export function withArrivals(
  answer: readonly Incident[],
  arrivals: Iterable<Incident>,
  matches: (incident: Incident) => boolean,
  more: boolean,
): Incident[] {
  const rows = new Map(answer.map((i) => [i.id, i]));
  const last = answer.at(-1);
  for (const arrival of arrivals) {
    const got = rows.get(arrival.id);
    if (got) {
      if (arrival.updated_at <= got.updated_at) continue;
      if (matches(arrival)) rows.set(arrival.id, arrival);
      else rows.delete(arrival.id);
    } else if (matches(arrival) && !(more && last && newestFirst(arrival, last) > 0)) {
      rows.set(arrival.id, arrival);
    }
  }
  return [...rows.values()].sort(newestFirst);
}
