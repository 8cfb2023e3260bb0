// One unit of alert work inside one transaction: the rows it locked, the writes it collects, and the moves it makes
// on incidents. Delivery handling (receive.ts) and the sweeper (sweeper.ts) share it, so an alert is treated the
// same whether it arrives now or is released later by an ending silence.
import type { Kysely } from 'kysely';
import {
  ACTIVE_INCIDENT_STATUSES,
  IntegrationKind,
  IntegrationSettings,
  type AlertSeverity,
  type Event,
  type EventLevel,
  type IncidentStatus,
  type TimelineEntryType,
} from '../../schema/index.js';
import { newEventId } from '../db/events.js';
import { findIncident, insertIncidentWithEntry, updateIncident } from '../db/incidents.js';
import { insertTimelineEntry } from '../db/timeline.js';
import type { AlertGroupRow, AlertRow, Database, IncidentRow, IntegrationRow, TimelineRow } from '../db/types.js';
import { planTransition } from '../domain/lifecycle.js';
import { atLeastSeverity, highestSeverity, rankSeverity } from '../integrations/index.js';
import { cutText } from '../text-cut.js';
import { ALERT_TEXT_BUDGET, fitLinks, fitRecord } from './fit-text.js';

/** The integration a unit of work acts for, its settings parsed (defaults applied). */
export interface IntegrationInfo {
  id: string;
  name: string;
  kind: IntegrationKind;
  settings: IntegrationSettings;
}

/**
 * The integration row with its settings parsed (fields a later version added take their defaults). Unreadable
 * settings throw: falling back to defaults could silently drop a required HMAC signature.
 */
export function integrationInfo(row: IntegrationRow): IntegrationInfo {
  return {
    id: row.id,
    name: row.name,
    kind: IntegrationKind.parse(row.kind),
    settings: IntegrationSettings.parse(row.settings),
  };
}

/** A resolve/re-fire cycle counts towards flapping for this long; this many cycles within it is flapping. */
export const FLAP_WINDOW_MS = 30 * 60_000;
export const FLAP_CYCLES = 3;

const ACTIVE: ReadonlySet<string> = new Set(ACTIVE_INCIDENT_STATUSES);

const LEVEL: Record<AlertSeverity, EventLevel> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};

/** What an incident is to a new firing alert of its group. */
export type Usable = 'active' | 'reopen' | 'none';

export class AlertWork {
  /** Alerts by dedup key: the loaded rows, changed in place; `dirty` lists those to write back. */
  readonly alerts = new Map<string, AlertRow>();
  readonly dirty = new Set<string>();
  readonly groups: Map<string, AlertGroupRow>;
  readonly dirtyGroups = new Set<string>();
  /** Incidents locked by this work, latest row. */
  readonly incidents = new Map<string, IncidentRow>();
  readonly touched = new Set<string>();
  readonly created: IncidentRow[] = [];
  readonly timeline: TimelineRow[] = [];
  readonly events: Event[] = [];
  readonly actor: string;

  constructor(
    readonly tx: Kysely<Database>,
    readonly integration: IntegrationInfo,
    groups: Map<string, AlertGroupRow>,
    alerts: readonly AlertRow[],
    readonly now: Date,
  ) {
    this.groups = groups;
    for (const a of alerts) this.alerts.set(a.dedup_key, a);
    this.actor = `alerts:${integration.name}`;
  }

  get settings(): IntegrationSettings {
    return this.integration.settings;
  }

  markAlert(a: AlertRow): void {
    this.alerts.set(a.dedup_key, a);
    this.dirty.add(a.dedup_key);
  }

  markGroup(g: AlertGroupRow): void {
    this.dirtyGroups.add(g.group_key);
  }

  group(key: string): AlertGroupRow {
    const g = this.groups.get(key);
    if (!g) throw new Error(`alert group ${key} is not locked by this work`);
    return g;
  }

  /** The group's incident, locked (FOR NO KEY UPDATE, after the group lock: the one order every writer follows). */
  async incidentOf(g: AlertGroupRow): Promise<IncidentRow | undefined> {
    if (!g.incident_id) return undefined;
    const known = this.incidents.get(g.incident_id);
    if (known) return known;
    const row = await findIncident(this.tx, g.incident_id, { lock: true });
    if (row) this.incidents.set(row.id, row);
    return row;
  }

  /** active: open … monitoring; reopen: resolved within reopen_window; none: a new firing needs a new incident. */
  usable(incident: IncidentRow | undefined): Usable {
    if (!incident) return 'none';
    if (ACTIVE.has(incident.status)) return 'active';
    if (
      incident.status === 'resolved' &&
      incident.resolved_at &&
      this.now.getTime() - incident.resolved_at.getTime() <= this.settings.reopen_window * 1000
    )
      return 'reopen';
    return 'none';
  }

  /** The group's firing alerts attached to `incidentId` (every firing alert of a touched group is loaded). */
  firingOn(incidentId: string): AlertRow[] {
    return [...this.alerts.values()].filter(
      (a) => a.incident_id === incidentId && a.status === 'firing' && a.state === 'active',
    );
  }

  /** Alerts of a group in a state, firing only. */
  firingInGroup(groupKey: string, states: readonly string[]): AlertRow[] {
    return [...this.alerts.values()].filter(
      (a) => a.group_key === groupKey && a.status === 'firing' && states.includes(a.state),
    );
  }

  isFlapping(g: AlertGroupRow): boolean {
    return g.flapping_since !== null;
  }

  private replace(row: IncidentRow): IncidentRow {
    this.incidents.set(row.id, row);
    this.touched.add(row.id);
    return row;
  }

  async entry(
    incidentId: string,
    type: TimelineEntryType,
    title: string,
    description: string,
    metadata: Record<string, unknown>,
  ): Promise<void> {
    const row = await insertTimelineEntry(this.tx, {
      incident_id: incidentId,
      entry_type: type,
      title,
      description,
      actor: this.actor,
      metadata: { integration_id: this.integration.id, ...metadata },
    });
    this.timeline.push(row);
    this.touched.add(incidentId);
  }

  /**
   * Moves an incident's status on the alerts' behalf (or, for a PagerDuty acknowledge, on a person's at the source:
   * `byAlerts` false), with its status_change entry. Forward moves and reopening follow the lifecycle; the alerts
   * may also take an incident they put in monitoring back to investigating, which people cannot (a re-fire means
   * the fix did not hold).
   */
  async move(incident: IncidentRow, to: IncidentStatus, why: string, byAlerts = true): Promise<IncidentRow> {
    const from = incident.status as IncidentStatus;
    if (from === to) return incident;
    let resolvedAt: Date | null = incident.resolved_at;
    if (!(from === 'monitoring' && to === 'investigating')) {
      const plan = planTransition(from, to);
      if (plan.kind === 'noop') return incident;
      resolvedAt = plan.resolvedAt === 'set' ? this.now : plan.resolvedAt === 'clear' ? null : incident.resolved_at;
    }
    const updated = await updateIncident(this.tx, incident.id, {
      status: to,
      resolved_at: resolvedAt,
      status_by_alerts: byAlerts,
    });
    await this.entry(incident.id, 'status_change', `Status changed from ${from} to ${to}`, why, {
      from,
      to,
      by: byAlerts ? 'alerts' : 'source',
    });
    return this.replace(updated);
  }

  async setStatusByAlerts(incident: IncidentRow): Promise<IncidentRow> {
    if (incident.status_by_alerts) return incident;
    return this.replace(await updateIncident(this.tx, incident.id, { status_by_alerts: true }));
  }

  /** Raises the incident's severity to the alert's when higher, unless a person chose it. Never lowers it. */
  async raiseSeverity(incident: IncidentRow, severity: AlertSeverity): Promise<IncidentRow> {
    if (incident.severity_by_person) return incident;
    const current = incident.severity as AlertSeverity;
    if (rankSeverity(severity) <= rankSeverity(current)) return incident;
    const updated = this.replace(await updateIncident(this.tx, incident.id, { severity }));
    await this.entry(
      incident.id,
      'system_event',
      `Severity raised from ${current} to ${severity}`,
      'An alert of higher severity joined the incident',
      { from: current, to: severity },
    );
    return updated;
  }

  /** Queues an `alert` event for the alert's incident (written in one statement when the work finishes). */
  alertEvent(a: AlertRow, status: 'firing' | 'resolved'): void {
    if (!a.incident_id) return;
    const at = status === 'firing' ? (a.starts_at ?? this.now) : (a.ends_at ?? this.now);
    this.events.push({
      id: newEventId(),
      incident_id: a.incident_id,
      event_type: 'alert',
      message: `${status === 'firing' ? 'FIRING' : 'RESOLVED'}: ${a.title}`,
      level: status === 'firing' ? LEVEL[a.severity as AlertSeverity] : 'info',
      source: a.source,
      metadata: {
        integration_id: this.integration.id,
        integration: this.integration.name,
        dedup_key: a.dedup_key,
        status,
        severity: a.severity,
        ...alertTexts(a),
        starts_at: a.starts_at?.toISOString() ?? null,
        ends_at: a.ends_at?.toISOString() ?? null,
      },
      timestamp: at.toISOString(),
    });
  }

  /** Attaches a firing alert to an incident: its event, its timeline entry (not while flapping), the severity. */
  async attach(a: AlertRow, incident: IncidentRow, g: AlertGroupRow): Promise<IncidentRow> {
    a.state = 'active';
    a.incident_id = incident.id;
    this.markAlert(a);
    this.alertEvent(a, 'firing');
    if (!this.isFlapping(g)) {
      await this.entry(incident.id, 'system_event', `Alert firing: ${a.title}`, describeAlert(a), {
        dedup_key: a.dedup_key,
        status: 'firing',
      });
    }
    return this.raiseSeverity(incident, a.severity as AlertSeverity);
  }

  /**
   * Records that the group's alerts came back after all had resolved. Three such cycles within 30 minutes mark the
   * incident as flapping (tag and timeline entry); from then on its alerts' comings and goings are still recorded
   * as events but no longer repeated on the timeline or in status moves, until the group stays quiet for 30 minutes.
   */
  async recordRefire(g: AlertGroupRow, incident: IncidentRow): Promise<IncidentRow> {
    const since = this.now.getTime() - FLAP_WINDOW_MS;
    g.refires = [...g.refires.filter((d) => d.getTime() > since), this.now];
    this.markGroup(g);
    if (g.flapping_since || g.refires.length < FLAP_CYCLES) return incident;
    g.flapping_since = this.now;
    const tags = incident.tags.includes('flapping') ? incident.tags : [...incident.tags, 'flapping'];
    const updated = this.replace(await updateIncident(this.tx, incident.id, { tags }));
    await this.entry(
      incident.id,
      'system_event',
      'Flapping',
      `${g.refires.length} resolve/re-fire cycles within 30 minutes; further re-notifications are not repeated until the alerts stay quiet for 30 minutes`,
      { cycles: g.refires.length },
    );
    return updated;
  }

  /** Opens an incident for a group from its firing alerts (the gate has passed) and attaches them. */
  async open(g: AlertGroupRow, alerts: readonly AlertRow[]): Promise<IncidentRow> {
    const first = [...alerts].sort(
      (a, b) => rankSeverity(b.severity as AlertSeverity) - rankSeverity(a.severity as AlertSeverity),
    )[0];
    if (!first) throw new Error('opening an incident needs at least one alert');
    const severity = highestSeverity(alerts.map((a) => a.severity as AlertSeverity)) ?? this.settings.default_severity;
    const more = alerts.length > 1 ? ` (+${alerts.length - 1} more)` : '';
    const description =
      first.annotations.description ?? first.annotations.message ?? first.annotations.summary ?? first.title;
    const { incident, entry } = await insertIncidentWithEntry(
      this.tx,
      {
        title: cutText(`${first.title}${more}`, 500),
        description: cutText(description, 20_000),
        severity,
        source: cutText(this.integration.name, 200),
        tags: ['alert', this.integration.kind],
        metadata: {
          integration_id: this.integration.id,
          integration: this.integration.name,
          group_key: g.group_key,
          labels: fitRecord(commonLabels(alerts), ALERT_TEXT_BUDGET.labels).record,
        },
      },
      this.actor,
    );
    this.incidents.set(incident.id, incident);
    this.touched.add(incident.id);
    this.created.push(incident);
    this.timeline.push(entry);
    g.incident_id = incident.id;
    g.monitoring_since = null;
    g.refires = [];
    g.flapping_since = null;
    this.markGroup(g);
    let current = incident;
    for (const a of alerts) current = await this.attach(a, current, g);
    return current;
  }

  /** Whether the alert counts towards the creation gate now: firing, pending, recent, severe enough. */
  countsForGate(a: AlertRow): boolean {
    return (
      a.status === 'firing' &&
      a.state === 'pending' &&
      a.fired_at.getTime() >= this.now.getTime() - this.settings.window * 1000 &&
      atLeastSeverity(a.severity as AlertSeverity, this.settings.min_severity)
    );
  }
}

/** One line naming the alert: its title, source and labels. */
function describeAlert(a: AlertRow): string {
  const labels = Object.entries(a.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return cutText(`${a.title} (source ${a.source}${labels ? `; ${labels}` : ''})`, 2000);
}

/**
 * An alert's labels, annotations and links as its events keep them: within their share of the metadata text limit
 * (src/alerts/fit-text.ts), with `truncated: true` when something was cut. The alert itself keeps them whole.
 */
function alertTexts(a: AlertRow): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  links: AlertRow['links'];
  truncated?: true;
} {
  const labels = fitRecord(a.labels, ALERT_TEXT_BUDGET.labels);
  const annotations = fitRecord(a.annotations, ALERT_TEXT_BUDGET.annotations);
  const links = fitLinks(a.links, ALERT_TEXT_BUDGET.links);
  return {
    labels: labels.record,
    annotations: annotations.record,
    links: links.links,
    ...(labels.cut || annotations.cut || links.cut ? { truncated: true as const } : {}),
  };
}

/** The labels every alert shares, with the same value (Alertmanager's commonLabels). */
function commonLabels(alerts: readonly AlertRow[]): Record<string, string> {
  const [first, ...rest] = alerts;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first.labels)) if (rest.every((a) => a.labels[k] === v)) out[k] = v;
  return out;
}
