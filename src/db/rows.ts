// Maps database rows to the documented wire models (snake_case, ISO-8601 UTC strings, derived mttr_minutes).
import type { Action, Event, Incident, TimelineEntry } from '../../schema/index.js';
import type { ActionStatus, IncidentStatus, Severity, TimelineEntryType, EventLevel } from '../../schema/index.js';
import type { ActionRow, EventRow, IncidentRow, TimelineRow } from './types.js';

const iso = (d: Date): string => d.toISOString();

// The columns are constrained by CHECKs or written only from validated enums, so these narrowings are safe.
export function toIncident(r: IncidentRow): Incident {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    status: r.status as IncidentStatus,
    severity: r.severity as Severity,
    source: r.source,
    tags: r.tags,
    metadata: r.metadata,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    resolved_at: r.resolved_at ? iso(r.resolved_at) : null,
    ai_summary: r.ai_summary,
    root_cause: r.root_cause,
    suggested_actions: r.suggested_actions,
    mttr_minutes: r.resolved_at ? (r.resolved_at.getTime() - r.created_at.getTime()) / 60_000 : null,
  };
}

export function toEvent(r: EventRow): Event {
  return {
    id: r.id,
    incident_id: r.incident_id,
    event_type: r.event_type as Event['event_type'],
    message: r.message,
    level: r.level as EventLevel,
    source: r.source,
    metadata: r.metadata,
    timestamp: iso(r.timestamp),
  };
}

export function toTimelineEntry(r: TimelineRow): TimelineEntry {
  return {
    id: r.id,
    incident_id: r.incident_id,
    entry_type: r.entry_type as TimelineEntryType,
    title: r.title,
    description: r.description,
    actor: r.actor,
    timestamp: iso(r.timestamp),
    metadata: r.metadata,
  };
}

export function toAction(r: ActionRow): Action {
  return {
    id: r.id,
    incident_id: r.incident_id,
    title: r.title,
    description: r.description,
    status: r.status as ActionStatus,
    suggested_by: r.suggested_by,
    priority: r.priority,
    created_at: iso(r.created_at),
  };
}
