// Severity and status badges: a colour and the word, never the colour alone, at a fixed width so a change in place
// does not move the row.
import type { ActionStatus, EventLevel, IncidentStatus, Severity } from '../model.js';

const SEVERITY_MARK: Record<Severity, string> = { critical: '▲▲', high: '▲', medium: '■', low: '▼', info: '●' };

/** The incident's severity: mark, word and colour. */
export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span className={`badge sev sev-${severity}`} data-testid="severity">
      <span aria-hidden="true">{SEVERITY_MARK[severity]} </span>
      {severity}
    </span>
  );
}

/** The incident's status, in words on its colour. */
export function StatusBadge({ status }: { status: IncidentStatus }) {
  return (
    <span className={`badge status status-${status}`} data-testid="status">
      {status}
    </span>
  );
}

/** An event's level. */
export function LevelBadge({ level }: { level: EventLevel }) {
  return <span className={`badge level level-${level}`}>{level}</span>;
}

/** A remediation action's status. */
export function ActionStatusBadge({ status }: { status: ActionStatus }) {
  return <span className={`badge action-status action-${status}`}>{status.replace('_', ' ')}</span>;
}
