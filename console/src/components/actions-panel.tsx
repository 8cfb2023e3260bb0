// The remediation actions, most urgent first, each with its status that a responder can move.
import { useState } from 'react';
import { api } from '../api.js';
import { describeError } from '../errors.js';
import { ACTION_STATUSES, isOneOf, type Action } from '../model.js';
import { NotAllowed, usePermissions } from '../permissions.js';
import { actorField } from '../responder-name.js';
import { ActionStatusBadge } from './badges.js';
import { LocalTimes } from './local-times.js';

/** The actions section. */
export function ActionsPanel({
  actions,
  onChanged,
  actor,
}: {
  actions: readonly Action[];
  onChanged: (a: Action) => void;
  /** The name this tab's responder gave in the room (open server): recorded as who moved an action. */
  actor: string | undefined;
}) {
  const [error, setError] = useState<string | undefined>();
  const { can } = usePermissions();
  const writable = can('write');

  const move = async (action: Action, status: string): Promise<void> => {
    if (!isOneOf(ACTION_STATUSES, status)) return;
    setError(undefined);
    try {
      onChanged(
        await api.actions.updateStatus.mutate({
          incident_id: action.incident_id,
          action_id: action.id,
          status,
          ...actorField(actor),
        }),
      );
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <section className="card actions-card" aria-labelledby="actions-heading" tabIndex={0}>
      <h2 id="actions-heading">Remediation actions</h2>
      {actions.length === 0 && <p className="muted">No actions yet.</p>}
      {actions.length > 0 && !writable && <NotAllowed what="change an action's status" scope="write" />}
      <ul className="actions" data-testid="actions">
        {actions.map((a) => (
          <li key={a.id}>
            <div>
              <strong>{a.title}</strong> <ActionStatusBadge status={a.status} />
              {a.description && (
                <p className="muted">
                  <LocalTimes text={a.description} />
                </p>
              )}
              <p className="muted small">
                priority {a.priority} · suggested by {a.suggested_by}
              </p>
            </div>
            {writable && (
              <label>
                <span className="visually-hidden">Status of “{a.title}”</span>
                <select value={a.status} onChange={(e) => void move(a, e.target.value)}>
                  {ACTION_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {s.replace('_', ' ')}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </li>
        ))}
      </ul>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
