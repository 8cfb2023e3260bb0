// The wire types the console reads (types only: nothing of the server is bundled), and the lists of values the
// console offers, checked against the schema's own types so a new value fails the typecheck here.
import type {
  Action,
  ActionStatus,
  Event,
  EventLevel,
  Incident,
  IncidentStatus,
  ServerFrame,
  Severity,
  TimelineEntry,
} from '../../schema/index.js';

export type { Action, ActionStatus, Event, EventLevel, Incident, IncidentStatus, ServerFrame, Severity, TimelineEntry };

export const STATUSES = [
  'open',
  'investigating',
  'identified',
  'monitoring',
  'resolved',
  'closed',
] as const satisfies readonly IncidentStatus[];
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const satisfies readonly Severity[];
export const ACTION_STATUSES = [
  'pending',
  'in_progress',
  'completed',
  'failed',
  'skipped',
] as const satisfies readonly ActionStatus[];
export const EVENT_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const satisfies readonly EventLevel[];
export const EVENT_TYPES = [
  'log',
  'metric',
  'alert',
  'trace',
  'user_action',
] as const satisfies readonly Event['event_type'][];

/** The incident page's event filter: the server applies it (events.page's `level` and `event_type`). */
export interface EventFilter {
  level?: EventLevel;
  event_type?: Event['event_type'];
}

/** Whether `e` passes `f` (for live events; the server filters the pages). */
export const matchesEventFilter = (e: Event, f: EventFilter): boolean =>
  (!f.level || e.level === f.level) && (!f.event_type || e.event_type === f.event_type);

export const sameEventFilter = (a: EventFilter, b: EventFilter): boolean =>
  a.level === b.level && a.event_type === b.event_type;

const ACTIVE: readonly IncidentStatus[] = ['open', 'investigating', 'identified', 'monitoring'];

/**
 * The moves the lifecycle allows from `from` (README "Status lifecycle"; the server's src/domain/lifecycle.ts decides):
 * forward, skipping steps; a resolved incident may reopen to an active state; closed is final. The server still has
 * the last word (409), which the page shows.
 */
export function allowedMoves(from: IncidentStatus): IncidentStatus[] {
  if (from === 'closed') return [];
  const rank = STATUSES.indexOf(from);
  const forward = STATUSES.filter((_, i) => i > rank);
  return from === 'resolved' ? [...ACTIVE, ...forward] : forward;
}

/** Whether `incident` passes the list's filters (the same rules as the server's list). */
export function matchesFilters(incident: Incident, f: IncidentFilters): boolean {
  return (
    (!f.status || incident.status === f.status) &&
    (!f.severity || incident.severity === f.severity) &&
    (!f.source || incident.source === f.source) &&
    (!f.tag || incident.tags.includes(f.tag))
  );
}

/** The incident list's filters, as kept in the URL. */
export interface IncidentFilters {
  status?: IncidentStatus;
  severity?: Severity;
  source?: string;
  tag?: string;
}

/** Whether `v` is one of `values` (narrowing a form's or the URL's string to the union). */
export const isOneOf = <T extends string>(values: readonly T[], v: string | null): v is T =>
  v !== null && (values as readonly string[]).includes(v);

/** Reads the filters from a query string, ignoring values the server would refuse. */
export function filtersFrom(query: URLSearchParams): IncidentFilters {
  const f: IncidentFilters = {};
  const status = query.get('status');
  const severity = query.get('severity');
  if (isOneOf(STATUSES, status)) f.status = status;
  if (isOneOf(SEVERITIES, severity)) f.severity = severity;
  const source = query.get('source')?.trim();
  const tag = query.get('tag')?.trim();
  if (source) f.source = source;
  if (tag) f.tag = tag;
  return f;
}

/** The query string for `f` (empty values left out). */
export function filtersQuery(f: IncidentFilters): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (typeof v === 'string' && v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
