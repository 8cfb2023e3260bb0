// Incident lifecycle metrics, read off the committed changes every instance publishes locally (so each change is
// counted once in the cluster): creations, time to acknowledge (MTTA) and time to resolve (MTTR).
import { INCIDENT_CREATED_TITLE } from './db/incidents.js';
import type { Change, ChangeSink } from './domain/changes.js';
import type { Metrics } from './metrics.js';
import type { Incident } from '../schema/index.js';

/**
 * A ChangeSink that observes: `warroom_incidents_created_total` on an incident's "Incident created" entry, MTTA when
 * someone (not the alerts' own moves) first takes an incident out of `open`, MTTR each time it is resolved (a reopened incident is measured again; closing
 * straight from an active state counts as resolving). Changes arrive as publishChange sends them: the incident first,
 * then the entries the change wrote, so the incident an entry belongs to is the last one seen.
 */
export class IncidentMetricsSink implements ChangeSink {
  private last: Incident | undefined;

  constructor(private readonly metrics: Metrics) {}

  publish(change: Change): void {
    if (change.type === 'incident.updated') {
      this.last = change.incident;
      return;
    }
    if (change.type !== 'timeline.created') return;
    const incident = this.last?.id === change.incident_id ? this.last : undefined;
    if (!incident) return;
    const { entry } = change;
    if (entry.entry_type === 'system_event' && entry.title === INCIDENT_CREATED_TITLE) {
      this.metrics.incidentsCreated.inc({ severity: incident.severity, source: incident.source });
      return;
    }
    if (entry.entry_type !== 'status_change') return;
    const from = entry.metadata.from;
    const to = entry.metadata.to;
    const since = (at: string) => Math.max(0, (Date.parse(at) - Date.parse(incident.created_at)) / 1000);
    // Acknowledged by someone: a person here, or at the source (a PagerDuty acknowledge, `by: source`). The alerts'
    // own moves (all resolved → monitoring, by: alerts) acknowledge nothing, and counting them filled MTTA with
    // near-zero times for incidents nobody looked at.
    if (from === 'open' && entry.metadata.by !== 'alerts')
      this.metrics.timeToAcknowledge.observe({ severity: incident.severity }, since(entry.timestamp));
    if ((to === 'resolved' || (to === 'closed' && from !== 'resolved')) && incident.resolved_at) {
      this.metrics.timeToResolve.observe({ severity: incident.severity }, since(incident.resolved_at));
    }
  }
}
