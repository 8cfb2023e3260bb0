// The status lifecycle rules as a table: every (from, to) pair.
import { describe, expect, it } from 'vitest';
import { INCIDENT_STATUSES, type IncidentStatus } from '../../schema/index.js';
import { AppError } from '../../src/domain/errors.js';
import { planTransition } from '../../src/domain/lifecycle.js';

const ACTIVE: IncidentStatus[] = ['open', 'investigating', 'identified', 'monitoring'];

function outcome(from: IncidentStatus, to: IncidentStatus): string {
  try {
    const t = planTransition(from, to);
    return t.kind === 'noop' ? 'noop' : `move:${t.resolvedAt}`;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
}

describe('planTransition', () => {
  it('allows every forward move, including skips', () => {
    for (const [i, from] of INCIDENT_STATUSES.entries()) {
      for (const to of INCIDENT_STATUSES.slice(i + 1)) expect(outcome(from, to), `${from}→${to}`).toMatch(/^move:/);
    }
  });
  it('sets resolved_at on entering resolved, and on closing an unresolved incident', () => {
    for (const from of ACTIVE) {
      expect(outcome(from, 'resolved')).toBe('move:set');
      expect(outcome(from, 'closed')).toBe('move:set');
    }
    expect(outcome('resolved', 'closed')).toBe('move:keep');
  });
  it('lets resolved reopen to any active state, clearing resolved_at', () => {
    for (const to of ACTIVE) expect(outcome('resolved', to)).toBe('move:clear');
  });
  it('refuses backward moves between active states and every move out of closed', () => {
    for (const [i, from] of ACTIVE.entries())
      for (const to of ACTIVE.slice(0, i)) expect(outcome(from, to)).toBe('CONFLICT');
    for (const to of INCIDENT_STATUSES) if (to !== 'closed') expect(outcome('closed', to)).toBe('CONFLICT');
  });
  it('is a no-op for the current status', () => {
    for (const s of INCIDENT_STATUSES) expect(outcome(s, s)).toBe('noop');
  });
});
