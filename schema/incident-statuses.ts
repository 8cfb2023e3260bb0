// The incident statuses as plain lists, without Zod: the analysis worker's bundle reads incidents through
// src/db/incidents.ts, which needs the active ones, and must not carry Zod (test/e2e/compiled.test.ts).

export const INCIDENT_STATUSES = ['open', 'investigating', 'identified', 'monitoring', 'resolved', 'closed'] as const;
/** The statuses of an incident still being worked on: everything before resolved. */
export const ACTIVE_INCIDENT_STATUSES = [
  'open',
  'investigating',
  'identified',
  'monitoring',
] as const satisfies readonly (typeof INCIDENT_STATUSES)[number][];
