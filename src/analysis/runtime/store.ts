// Stores one analysis: the incident's analysis fields, its machine-suggested actions and, when the conclusion
// changed (or someone asked), an ai_analysis timeline entry, all in one transaction.
import type { Kysely } from 'kysely';
import { storeAnalysisFields } from '../../db/analysis.js';
import { findIncident } from '../../db/incidents.js';
import { insertTimelineEntry } from '../../db/timeline.js';
import type { ActionRow, Database, IncidentRow, TimelineRow } from '../../db/types.js';
import { notFound } from '../../domain/errors.js';
import { replaceSuggestions } from '../../domain/suggestions.js';
import { categoryById } from '../categories/index.js';
import type { AnalysisResult } from '../types.js';
import type { AnalysisTrigger } from './scheduler.js';

/** Suggestions by these are the analyzer's own, and may be replaced by its next run; anything else is a person's. */
export const isMachineSuggester = (name: string): boolean =>
  name.startsWith('warroom-analyzer') || name.startsWith('llm:');

export interface StoredAnalysis {
  incident: IncidentRow;
  entry: TimelineRow | undefined;
  created: ActionRow[];
  updated: ActionRow[];
  /** Ids of the pending suggestions the new set replaced (deleted). */
  removed: string[];
}

/** Throws NOT_FOUND when the incident is gone. */
export async function storeAnalysis(
  db: Kysely<Database>,
  incidentId: string,
  trigger: AnalysisTrigger,
  result: AnalysisResult,
): Promise<StoredAnalysis> {
  return db.transaction().execute(async (tx) => {
    // The incident first (the one lock order, src/db/incidents.ts): two instances analysing the same incident write
    // one after the other, and a responder moving an action waits rather than deadlocking with us.
    const before = await findIncident(tx, incidentId, { lock: true });
    if (!before) throw notFound('incident', incidentId);
    // The conclusion, not the root cause's words: those count events and quote samples, and change with each one.
    const concluded = before.analysis_conclusion !== result.conclusion;
    const incident = await storeAnalysisFields(tx, incidentId, {
      ai_summary: result.ai_summary,
      root_cause: result.root_cause,
      suggested_actions: result.suggested_actions,
      category: result.category,
      templates: result.evidence.templates.map((t) => t.template),
      conclusion: result.conclusion,
    });
    const actions = await replaceSuggestions(tx, incidentId, result.analyzer, result.actions, isMachineSuggester);
    // A new entry when the conclusion changes, for a new incident, or when someone asked; background re-runs (new
    // events, a status change) that agree stay off the timeline.
    const entry =
      concluded || trigger === 'create' || trigger === 'manual'
        ? await insertTimelineEntry(tx, {
            incident_id: incidentId,
            entry_type: 'ai_analysis',
            title: `Analysis: ${result.category ? (categoryById(result.category)?.title ?? result.category) : 'no known failure pattern'}`,
            description: `${result.root_cause}\n\n${result.ai_summary}`,
            actor: result.analyzer,
            metadata: {
              analyzer: result.analyzer,
              confidence: result.confidence,
              category: result.category,
              trigger,
              evidence: result.evidence,
              similar_incidents: result.similar,
            },
          })
        : undefined;
    return { incident, entry, created: actions.created, updated: actions.updated, removed: actions.removed };
  });
}
