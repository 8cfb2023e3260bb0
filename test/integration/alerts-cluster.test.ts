// Two Warroom instances on one PostgreSQL behave as one for alerts: an Alertmanager HA pair delivering the same
// notification to both at once opens one incident with one event per alert, and both instances' sweepers resolve
// it exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Incident } from '../../schema/index.js';
import { createScratchDatabase, POSTGRES_URL, startTestApp, type TestServer } from './harness.js';
import { alertEvents, createIntegration, deliver, statusBecomes, timeline } from './alerts-helpers.js';

describe.skipIf(!POSTGRES_URL)('alerts on two instances of one PostgreSQL (skipped without TEST_DATABASE_URL)', () => {
  let a: TestServer;
  let b: TestServer;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const scratch = await createScratchDatabase(POSTGRES_URL ?? '');
    drop = scratch.drop;
    a = await startTestApp({ ALERT_SWEEP_INTERVAL_MS: '200' }, { databaseUrl: scratch.url });
    b = await startTestApp({ ALERT_SWEEP_INTERVAL_MS: '200' }, { databaseUrl: scratch.url });
  }, 60_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await drop?.();
  });

  it('the same notification sent to both at once opens one incident; both sweepers resolve it once', async () => {
    const i = await createIntegration(a, {
      name: 'ha-pair',
      kind: 'alertmanager',
      settings: { auto_resolve_after: 1 },
    });
    const message = (status: 'firing' | 'resolved') => ({
      version: '4',
      groupKey: '{}:{alertname="Replication lag"}',
      status,
      alerts: ['db-1', 'db-2', 'db-3'].map((instance) => ({
        status,
        labels: { alertname: 'ReplicationLag', instance, severity: 'critical' },
        annotations: { summary: `Replication lag on ${instance}` },
        startsAt: '2026-11-29T10:00:00Z',
        ...(status === 'resolved' ? { endsAt: '2026-11-29T10:30:00Z' } : {}),
        fingerprint: `fp-${instance}`,
      })),
    });
    // Ten deliveries at once, alternating instances: the pair, each retrying.
    const sends = Array.from({ length: 10 }, (_, k) => deliver(k % 2 ? b : a, i, message('firing')));
    const answers = await Promise.all(sends);
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(202));
    const incidents = Incident.array().parse(await (await a.api('/api/incidents/?source=ha-pair')).json());
    expect(incidents).toHaveLength(1);
    const id = incidents[0]?.id ?? '';
    expect(await alertEvents(a, id)).toHaveLength(3);

    await Promise.all([deliver(a, i, message('resolved')), deliver(b, i, message('resolved'))]);
    await statusBecomes(b, id, 'resolved', 5000);
    await new Promise((r) => setTimeout(r, 600));
    const moves = (await timeline(a, id)).filter((t) => t.entry_type === 'status_change').map((t) => t.metadata.to);
    expect(moves).toEqual(['monitoring', 'resolved']);
  }, 60_000);
});
