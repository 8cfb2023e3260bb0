// Reads what the analyzer needs about one incident: the incident, its newest events and its status history.
// Runs in the analysis worker thread, over its own connection.
import type { Kysely } from 'kysely';
import { eventsForAnalysis, statusHistory, type PastIncidentRow } from '../../db/analysis.js';
import { findIncident } from '../../db/incidents.js';
import { toEvent, toIncident, toTimelineEntry } from '../../db/rows.js';
import type { Database } from '../../db/types.js';
import { notFound } from '../../domain/errors.js';
import type { AnalysisInput, PastIncident } from '../types.js';

/**
 * What the analyzer reads about one incident: the incident, its newest events (ANALYSIS_EVENT_LIMIT) and its status
 * changes. Throws NOT_FOUND for an unknown incident. Runs on any Kysely; the worker thread's has one connection.
 */
export async function readAnalysisInput(
  db: Kysely<Database>,
  incidentId: string,
  past: readonly PastIncident[],
): Promise<AnalysisInput> {
  const row = await findIncident(db, incidentId);
  if (!row) throw notFound('incident', incidentId);
  // One after the other: the worker thread has one connection, so asking for both at once only queued the second, and
  // pg's pool counts that wait against its connect timeout (5 s): an events read slower than that (the largest
  // incident on a loaded database) failed every analysis of it with "timeout exceeded when trying to connect".
  const events = await eventsForAnalysis(db, row);
  const history = await statusHistory(db, incidentId);
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
