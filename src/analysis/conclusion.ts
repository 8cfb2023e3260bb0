// What an analysis concludes, as a key: a re-run that reaches the same one updates the incident silently, and only a
// new one (or someone asking) writes an ai_analysis timeline entry (src/analysis/runtime/store.ts). The root cause's
// text cannot be that key: it counts the consequences so far, names the first sign's time and quotes a sample, all
// of which move with every event, and steady ingest wrote an entry every debounce (an outage drill, 2026-12-02).

export interface ConclusionParts {
  /** Whether any event was read: the first events turn a guess from the title into evidence. */
  hasEvents: boolean;
  /** The failure category id, or null when nothing matched. */
  category: string | null;
  /** With no category: whether some warning or worse stands out (the root cause names it) or none does. */
  anomaly: boolean;
}

/**
 * The key: `events` or `no events`, then the category, or with none `anomaly` or `quiet`, joined by `|`. The failing
 * component, its resource and a cited past incident are left out on purpose: a review (2026-12-02) replayed growing
 * event streams and saw them flip run after run as near-tied sources traded places (pods of one service, a search
 * cluster and its indexer) and as concurrent incidents of one outage cited each other, an entry each time. The
 * incident's root cause still names the latest of them; the timeline marks what changed the diagnosis.
 */
export function conclusionOf(p: ConclusionParts): string {
  return [p.hasEvents ? 'events' : 'no events', p.category ?? (p.anomaly ? 'anomaly' : 'quiet')].join('|');
}
