// A documented Incident for the console's unit tests, with whatever fields a test sets.
import type { Incident } from '../../console/src/model.js';

export const INCIDENT_ID = '0b5c1c9e-3f57-4f7e-9a40-1d3b6c5e8a11';

/** An open, high-severity incident created at 2026-12-01T00:00Z, unchanged since, with `over` applied. */
export const anIncident = (over: Partial<Incident> = {}): Incident => ({
  id: INCIDENT_ID,
  title: 'Checkout 502s',
  description: '',
  status: 'open',
  severity: 'high',
  source: 'manual',
  tags: [],
  metadata: {},
  created_at: '2026-12-01T00:00:00.000Z',
  updated_at: '2026-12-01T00:00:00.000Z',
  resolved_at: null,
  ai_summary: null,
  root_cause: null,
  suggested_actions: [],
  mttr_minutes: null,
  ...over,
});
