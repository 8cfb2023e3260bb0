// The incident status lifecycle: which moves are allowed, and what each move does to resolved_at.
import { ACTIVE_INCIDENT_STATUSES, INCIDENT_STATUSES, type IncidentStatus } from '../../schema/index.js';
import { AppError } from './errors.js';

const rank = (s: IncidentStatus): number => INCIDENT_STATUSES.indexOf(s);
const ACTIVE: ReadonlySet<IncidentStatus> = new Set(ACTIVE_INCIDENT_STATUSES);

export type Transition = { kind: 'noop' } | { kind: 'move'; resolvedAt: 'set' | 'clear' | 'keep' };

/**
 * Forward moves may skip steps; `resolved` may reopen to an earlier active state; `closed` is final.
 * Throws CONFLICT (409) for every other move, saying why.
 */
export function planTransition(from: IncidentStatus, to: IncidentStatus): Transition {
  if (from === to) return { kind: 'noop' };
  if (from === 'closed') {
    throw new AppError('CONFLICT', `incident is closed; a closed incident cannot move to ${to}`);
  }
  if (rank(to) > rank(from)) {
    // Closing straight from an active state also resolves it, so MTTR is known for every closed incident.
    const resolving = to === 'resolved' || (to === 'closed' && from !== 'resolved');
    return { kind: 'move', resolvedAt: resolving ? 'set' : 'keep' };
  }
  if (from === 'resolved' && ACTIVE.has(to)) return { kind: 'move', resolvedAt: 'clear' };
  throw new AppError(
    'CONFLICT',
    `cannot move an incident from ${from} back to ${to}; only a resolved incident may reopen`,
  );
}
