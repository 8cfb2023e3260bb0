// The analyzer's contract: what it reads about an incident and what it writes back.
import type { Event, Incident, TimelineEntry } from '../../schema/index.js';

/** A resolved incident as the similarity search sees it; `templates` are mined event templates. */
export interface PastIncident {
  id: string;
  title: string;
  description: string;
  root_cause: string | null;
  category: string | null;
  templates: string[];
  completed_actions: string[];
}

export interface AnalysisInput {
  incident: Incident;
  events: readonly Event[];
  status_history: readonly TimelineEntry[];
  past_incidents: readonly PastIncident[];
  /** The analysis clock; defaults to the newest timestamp seen in the input so results stay deterministic. */
  now?: Date;
}

/** One remediation step, ready to become an Action row. */
export interface SuggestedAction {
  title: string;
  description: string;
  /** 1 (most urgent) .. 5. */
  priority: number;
}

export interface TemplateEvidence {
  template_id: string;
  template: string;
  count: number;
  first_seen: string;
  last_seen: string;
  level: string;
}

export interface SimilarIncident {
  incident_id: string;
  title: string;
  score: number;
}

export interface AnalysisResult {
  /** Who produced the result, e.g. `warroom-analyzer/1` or `llm:<model>`. */
  analyzer: string;
  /** Failure category id; null when nothing matched. */
  category: string | null;
  /** 0..1. */
  confidence: number;
  /** 1-2 sentences naming the failing component and the mechanism. */
  root_cause: string;
  /**
   * What the root cause concludes, as a key that its counts, times and quoted samples do not change
   * (src/analysis/conclusion.ts): a re-run writes a timeline entry only when it differs from the stored one.
   */
  conclusion: string;
  /** 2-5 sentences. */
  ai_summary: string;
  /** Ordered concrete steps naming the component; the titles of `actions`. */
  suggested_actions: string[];
  actions: SuggestedAction[];
  evidence: { event_ids: string[]; templates: TemplateEvidence[] };
  /** Past incidents ranked by similarity, best first (only those above a floor). */
  similar: SimilarIncident[];
}
