// Reads what the analyzer needs about one incident: the incident, its newest events and its status history.
// Runs in the analysis worker thread, over its own connection.
import type { Kysely } from 'kysely';
import { eventsForAnalysis, statusHistory, type PastIncidentRow } from '../../db/analysis.js';
import { findIncident } from '../../db/incidents.js';
import { toEvent, toIncident, toTimelineEntry } from '../../db/rows.js';
import type { Database } from '../../db/types.js';
import { notFound } from '../../domain/errors.js';
import type { AnalysisInput, PastIncident } from '../types.js';

export async function readAnalysisInput(
  db: Kysely<Database>,
  incidentId: string,
  past: readonly PastIncident[],
): Promise<AnalysisInput> {
  const row = await findIncident(db, incidentId);
  if (!row) throw notFound('incident', incidentId);
  const [events, history] = await Promise.all([eventsForAnalysis(db, row), statusHistory(db, incidentId)]);
  return {
    incident: toIncident(row),
    events: events.map(toEvent),
    status_history: history.map(toTimelineEntry),
    past_incidents: past,
  };
}

export function toPastIncident(p: PastIncidentRow): PastIncident {
  return {
    id: p.id,
    title: p.title,
    description: p.description,
    root_cause: p.root_cause,
    category: p.analysis_category,
    templates: p.analysis_templates,
    completed_actions: p.completed_actions,
  };
}
