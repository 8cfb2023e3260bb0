// What an analysis concludes, as a key: a re-run that reaches the same one updates the incident silently, and only a
// new one (or someone asking) writes an ai_analysis timeline entry (src/analysis/runtime/store.ts). The root cause's
// text cannot be that key: it counts the consequences so far, names the first sign's time and quotes a sample, all
// of which move with every event, and steady ingest wrote an entry every debounce (an outage drill, 2026-12-02).
import type { Names } from './naming.js';

export interface ConclusionParts {
  /** Whether any event was read: the first events turn a guess from the title into evidence. */
  hasEvents: boolean;
  /** The failure category id, or null when nothing matched. */
  category: string | null;
  /** The failing component and the resource it concerns, as the root cause names them. */
  names: Names;
  /** The past incident the root cause cites, if any. */
  citedIncidentId: string | undefined;
}

/**
 * The key: `events` or `no events`, the category (`-` for none), component, target and cited incident (`-`), joined
 * by `|`. Everything the root cause asserts, nothing it merely counts or quotes.
 */
export function conclusionOf(p: ConclusionParts): string {
  return [
    p.hasEvents ? 'events' : 'no events',
    p.category ?? '-',
    p.names.component,
    p.names.target,
    p.citedIncidentId ?? '-',
  ].join('|');
}
