// Helpers for the alert tests: integrations over the admin API, deliveries to their webhooks, and waiting for the
// sweeper (quiet periods and silences act on a timer).
import { expect } from 'vitest';
import { CreatedIntegration, DeliveryResult, Incident, TimelineEntry } from '../../schema/index.js';
import type { Kysely } from 'kysely';
import pino from 'pino';
import { AlertService } from '../../src/alerts/service.js';
import type { Database } from '../../src/db/types.js';
import { createMetrics } from '../../src/metrics.js';
import type { TestServer } from './harness.js';

export async function createIntegration(
  s: Pick<TestServer, 'api'>,
  body: { name: string; kind: string; settings?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Promise<CreatedIntegration> {
  const res = await s.api('/api/integrations/', { json: body, headers });
  expect(res.status, await res.clone().text()).toBe(201);
  return CreatedIntegration.parse(await res.json());
}

/** Posts a payload to an integration's webhook with its secret as a Bearer token (or the headers given). */
export async function deliver(
  s: Pick<TestServer, 'api'>,
  integration: { id: string; secret: string },
  payload: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${integration.secret}` },
): Promise<Response> {
  return s.api(`/api/integrations/${integration.id}/alerts`, { json: payload, headers });
}

/** Delivers and expects 202; returns the per-alert results. */
export async function accepted(
  s: Pick<TestServer, 'api'>,
  integration: { id: string; secret: string },
  payload: unknown,
): Promise<DeliveryResult> {
  const res = await deliver(s, integration, payload);
  expect(res.status, await res.clone().text()).toBe(202);
  return DeliveryResult.parse(await res.json());
}

export async function incident(s: Pick<TestServer, 'api'>, id: string): Promise<Incident> {
  const res = await s.api(`/api/incidents/${id}`);
  expect(res.status).toBe(200);
  return Incident.parse(await res.json());
}

export async function timeline(s: Pick<TestServer, 'api'>, id: string): Promise<TimelineEntry[]> {
  return TimelineEntry.array().parse(await (await s.api(`/api/incidents/${id}/timeline`)).json());
}

export async function alertEvents(
  s: Pick<TestServer, 'api'>,
  id: string,
): Promise<Array<{ message: string; event_type: string }>> {
  const all = (await (await s.api(`/api/ingest/events/${id}?limit=1000`)).json()) as Array<{
    message: string;
    event_type: string;
  }>;
  return all.filter((e) => e.event_type === 'alert');
}

/** Polls `check` every 100 ms until it returns a value (not undefined) or `ms` pass; returns the value and when. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  ms = 8000,
): Promise<{ value: T; elapsedMs: number }> {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return { value, elapsedMs: Date.now() - start };
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The status of an incident once it equals `status` (polling), with how long it took. */
export async function statusBecomes(
  s: Pick<TestServer, 'api'>,
  id: string,
  status: Incident['status'],
  ms = 8000,
): Promise<number> {
  const { elapsedMs } = await eventually(
    async () => ((await incident(s, id)).status === status ? true : undefined),
    ms,
  );
  return elapsedMs;
}

/** A generic-format alert. */
export const genericAlert = (over: Record<string, unknown> = {}) => ({
  dedup_key: 'disk-full-db1',
  status: 'firing',
  title: 'Disk almost full on db1',
  severity: 'warning',
  source: 'node-exporter',
  group_key: 'db1',
  labels: { host: 'db1', service: 'postgres' },
  starts_at: '2026-11-29T10:00:00Z',
  ...over,
});

/**
 * An alert service of the test's own over `db`, never started: its sweeps run when the test calls sweepOnce(now), on
 * the test's clock (start the app with a long ALERT_SWEEP_INTERVAL_MS so its own sweeper stays out of the way).
 */
export function testSweeper(db: Kysely<Database>): AlertService {
  return new AlertService({
    db,
    changes: { publish: () => undefined },
    analyse: () => undefined,
    metrics: createMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
  });
}
