// Remediation action rules: responders move an action through its statuses; each move is on the timeline.
import type { Kysely } from 'kysely';
import type { Action, ActionStatus, TimelineEntry } from '../../schema/index.js';
import { findAction, setActionStatus } from '../db/actions.js';
import { findIncident } from '../db/incidents.js';
import { toAction, toTimelineEntry } from '../db/rows.js';
import { insertTimelineEntry } from '../db/timeline.js';
import type { Database } from '../db/types.js';
import { notFound } from './errors.js';

export interface ActionChange {
  action: Action;
  timeline: TimelineEntry[];
}

/** Any status may follow any other (responders correct mistakes); setting the current one changes nothing. */
export async function updateActionStatus(
  db: Kysely<Database>,
  incidentId: string,
  actionId: string,
  status: ActionStatus,
  actor: string,
): Promise<ActionChange> {
  return db.transaction().execute(async (tx) => {
    // The incident first, then the action: the one lock order (src/db/incidents.ts findIncident), which the
    // analysis store follows too, so the two never deadlock.
    if (!(await findIncident(tx, incidentId, { lock: true }))) throw notFound('incident', incidentId);
    const row = await findAction(tx, incidentId, actionId, { forUpdate: true });
    if (!row) throw notFound('action', actionId);
    if (row.status === status) return { action: toAction(row), timeline: [] };
    const updated = await setActionStatus(tx, actionId, status);
    const entry = await insertTimelineEntry(tx, {
      incident_id: incidentId,
      entry_type: 'user_action',
      title: `Action "${row.title}" marked ${status.replace('_', ' ')}`,
      description: row.description,
      actor,
      metadata: { action_id: actionId, from: row.status, to: status },
    });
    return { action: toAction(updated), timeline: [toTimelineEntry(entry)] };
  });
}
