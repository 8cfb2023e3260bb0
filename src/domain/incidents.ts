// Incident rules: creation, lookup and status changes, each change written to the timeline in the same transaction.
import type { Kysely } from 'kysely';
import type { CreateIncidentInput, Incident, IncidentStatus, Severity, TimelineEntry } from '../../schema/index.js';
import type { IncidentInsertQueue } from '../db/incident-insert-queue.js';
import { findIncident, insertIncidentWithEntry, updateIncident } from '../db/incidents.js';
import { toIncident, toTimelineEntry } from '../db/rows.js';
import { insertTimelineEntry } from '../db/timeline.js';
import type { Database } from '../db/types.js';
import { AppError, notFound } from './errors.js';
import { planTransition } from './lifecycle.js';

export interface Change {
  incident: Incident;
  /** Timeline entries the change wrote (none for a no-op). */
  timeline: TimelineEntry[];
}

/**
 * Creates an incident; `actor` (the API key's name) is recorded on its first timeline entry, else its source.
 * Outside a transaction, `inserts` (when given) writes it together with other creates arriving at the same time.
 */
export async function createIncident(
  db: Kysely<Database>,
  input: CreateIncidentInput,
  actor: string = input.source,
  inserts?: IncidentInsertQueue,
): Promise<Change> {
  const { incident, entry } =
    inserts && !db.isTransaction
      ? await inserts.insert({ input, actor })
      : await insertIncidentWithEntry(db, input, actor);
  return { incident: toIncident(incident), timeline: [toTimelineEntry(entry)] };
}

export async function getIncident(db: Kysely<Database>, id: string): Promise<Incident> {
  const row = await findIncident(db, id);
  if (!row) throw notFound('incident', id);
  return toIncident(row);
}

export async function transitionStatus(
  db: Kysely<Database>,
  id: string,
  to: IncidentStatus,
  actor: string,
): Promise<Change> {
  return db.transaction().execute(async (tx) => {
    // Locked: two responders (or two instances) changing status at once are serialised, so no move is lost.
    const row = await findIncident(tx, id, { lock: true });
    if (!row) throw notFound('incident', id);
    const from = row.status as IncidentStatus;
    const plan = planTransition(from, to);
    if (plan.kind === 'noop') return { incident: toIncident(row), timeline: [] };
    const resolved_at = plan.resolvedAt === 'set' ? new Date() : plan.resolvedAt === 'clear' ? null : row.resolved_at;
    // A person moved it: auto-resolve no longer finishes what the alerts started (src/alerts/).
    const updated = await updateIncident(tx, id, { status: to, resolved_at, status_by_alerts: false });
    const entry = await insertTimelineEntry(tx, {
      incident_id: id,
      entry_type: 'status_change',
      title: `Status changed from ${from} to ${to}`,
      actor,
      metadata: { from, to },
    });
    return { incident: toIncident(updated), timeline: [toTimelineEntry(entry)] };
  });
}

/**
 * A person sets the incident's severity. From then on alerts never change it (they raise an incident's severity only
 * while no person has chosen one). Setting the current severity again changes nothing (the first time, it only
 * records that a person chose it, which moves `updated_at`); another severity on a closed incident is 409.
 */
export async function setSeverity(db: Kysely<Database>, id: string, to: Severity, actor: string): Promise<Change> {
  return db.transaction().execute(async (tx) => {
    const row = await findIncident(tx, id, { lock: true });
    if (!row) throw notFound('incident', id);
    const from = row.severity;
    // The same severity again changes nothing, as the same status does, a closed incident's included (a contract
    // drill found it a 409 there, where the same status is a 200).
    if (from === to && (row.severity_by_person || row.status === 'closed')) {
      return { incident: toIncident(row), timeline: [] };
    }
    if (row.status === 'closed') throw new AppError('CONFLICT', 'incident is closed; its severity cannot change');
    const updated = await updateIncident(tx, id, { severity: to, severity_by_person: true });
    if (from === to) return { incident: toIncident(updated), timeline: [] };
    const entry = await insertTimelineEntry(tx, {
      incident_id: id,
      entry_type: 'user_action',
      title: `Severity changed from ${from} to ${to}`,
      actor,
      metadata: { from, to },
    });
    return { incident: toIncident(updated), timeline: [toTimelineEntry(entry)] };
  });
}
