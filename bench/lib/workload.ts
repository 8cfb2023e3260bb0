// The request bodies the benchmark sends: realistic events and incidents.
import type { EventInsert } from '../../src/db/events.js';

const SOURCES = ['api-server-01', 'api-server-02', 'orders-db', 'checkout-api', 'payments-worker'];
const MESSAGES = [
  'GET /api/cart/{n} 200 in {n}ms',
  'upstream request timed out after {n}ms: 504 Gateway Timeout',
  'PostgreSQL connection pool exhausted (active={n}, max=100)',
  'worker {n} processed batch in {n}ms',
  'cache miss for key session:{n}',
];

export function eventBody(incidentId: string, i: number): Record<string, unknown> {
  return {
    incident_id: incidentId,
    event_type: i % 7 === 0 ? 'metric' : 'log',
    message: (MESSAGES[i % MESSAGES.length] ?? '').replaceAll('{n}', String(1000 + ((i * 7919) % 9000))),
    level: i % 5 === 0 ? 'error' : 'info',
    source: SOURCES[i % SOURCES.length] ?? 'unknown',
    metadata: { host: `node-${i % 12}`, region: 'eu-west-1' },
  };
}

export function batchBody(incidentId: string, size: number): Record<string, unknown>[] {
  return Array.from({ length: size }, (_, i) => eventBody(incidentId, i));
}

/** The same batch as rows for a direct INSERT (what the REST layer turns it into), less the ids. */
export function batchRows(incidentId: string, size: number): Array<Omit<EventInsert, 'id'>> {
  const now = new Date().toISOString();
  return batchBody(incidentId, size).map((e) => ({
    incident_id: incidentId,
    event_type: String(e.event_type),
    message: String(e.message),
    level: String(e.level),
    source: String(e.source),
    metadata: e.metadata as Record<string, unknown>,
    timestamp: now,
  }));
}

export const incidentBody = {
  title: 'Checkout returning 502s',
  description: 'Users experiencing 502 errors on payment',
  severity: 'high',
  source: 'datadog',
  tags: ['checkout', 'payments'],
  metadata: { team: 'payments' },
};
