// The head of an incident page: title, severity, status, age, MTTR, and the status moves the lifecycle allows now.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import { describeError, httpStatusOf } from '../errors.js';
import { formatAge, formatMttr, formatTime } from '../format.js';
import { allowedMoves, type Incident, type IncidentStatus } from '../model.js';
import { NotAllowed, usePermissions } from '../permissions.js';
import { actorField } from '../responder-name.js';
import { useNow } from '../use-now.js';
import { SeverityBadge, StatusBadge } from './badges.js';
import type { LiveState } from './connection-banner.js';

const VERB: Partial<Record<IncidentStatus, string>> = { resolved: 'Resolve', closed: 'Close' };

interface Props {
  incident: Incident;
  onChanged: (i: Incident) => void;
  /** The room's connection: a failure to reach the server is old news once it is back. */
  live: LiveState;
  /** The name this tab's responder gave in the room (open server): recorded as who moved the status. */
  actor: string | undefined;
}

/** Title, badges, times and the status buttons. */
export function IncidentHeader({ incident, onChanged, live, actor }: Props) {
  const now = useNow();
  const { can, known } = usePermissions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const group = useRef<HTMLDivElement>(null);
  const reopening = incident.status === 'resolved';

  // Back in touch with the server: an error from while it was away ("Cannot reach…") no longer holds. A refusal
  // (409) made while connected stays, since no reconnect follows it.
  useEffect(() => {
    if (live === 'live') setError(undefined);
  }, [live]);

  const move = async (status: IncidentStatus): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      onChanged(await api.incidents.updateStatus.mutate({ incident_id: incident.id, status, ...actorField(actor) }));
    } catch (err) {
      setError(describeError(err));
      // A 409: the incident moved on meanwhile (another responder, an alert resolving it) and this page missed it;
      // what the server holds now decides which moves are offered.
      if (httpStatusOf(err) === 409) {
        await api.incidents.get.query({ incident_id: incident.id }).then(onChanged, () => undefined);
      }
    } finally {
      setBusy(false);
      // The button pressed is gone (the moves are the new status's) or was disabled meanwhile: focus would fall to
      // the page's start. It stays with the status buttons, so Tab reaches the next move.
      group.current?.focus();
    }
  };

  const moves = allowedMoves(incident.status);
  return (
    <header className="incident-head">
      <h1 data-testid="incident-title">{incident.title}</h1>
      <div className="incident-facts">
        <SeverityBadge severity={incident.severity} />
        <StatusBadge status={incident.status} />
        {/* Once resolved, the time to resolve is what matters: a running age beside MTTR reads as a contradiction. */}
        {incident.mttr_minutes === null ? (
          <span title={formatTime(incident.created_at)} data-testid="age">
            opened {formatAge(incident.created_at, now)} ago
          </span>
        ) : (
          <span>
            opened <time dateTime={incident.created_at}>{formatTime(incident.created_at)}</time>
          </span>
        )}
        <span>source {incident.source}</span>
        {incident.mttr_minutes !== null && <span data-testid="mttr">MTTR {formatMttr(incident.mttr_minutes)}</span>}
        {incident.tags.map((t) => (
          <span key={t} className="tag">
            {t}
          </span>
        ))}
      </div>
      {incident.description && <p className="description">{incident.description}</p>}
      {/* The row keeps its height while the key's scopes are asked for, so nothing below moves when they arrive. */}
      <div className="moves" role="group" aria-label="Change status" ref={group} tabIndex={-1}>
        {moves.length === 0 && <span className="muted">Closed: final, no further moves.</span>}
        {moves.length > 0 && known && !can('write') && <NotAllowed what="change the status" scope="write" />}
        {can('write') &&
          moves.map((s) => (
            <button key={s} type="button" disabled={busy} onClick={() => void move(s)} data-status={s}>
              {VERB[s] ?? (reopening ? `Reopen as ${s}` : `Move to ${s}`)}
            </button>
          ))}
      </div>
      {error && (
        <p className="error" role="alert" data-testid="status-error">
          {error}
        </p>
      )}
    </header>
  );
}
