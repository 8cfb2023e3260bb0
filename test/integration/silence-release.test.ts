// When a silence ends, the alerts it held back are weighed against the gate again, group by group; a group another
// transaction holds at that moment is skipped (SKIP LOCKED). It used to stay skipped: the silence was already marked
// released, so its alerts stayed suppressed until some other silence ended. Now the sweeper weighs suppressed alerts
// against the silences in force every RELEASE_RECHECK_MS as well.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELEASE_RECHECK_MS } from '../../src/alerts/sweeper.js';
import { DB_LABEL, startTestApp, type TestServer } from './harness.js';
import { accepted, createIntegration, genericAlert, testSweeper } from './alerts-helpers.js';

let s: TestServer;
beforeAll(async () => {
  // No sweeps of the app's own during the test: the test's service sweeps when it says.
  s = await startTestApp({ ALERT_SWEEP_INTERVAL_MS: '60000' });
});
afterAll(() => s.stop());

describe(`releasing silenced alerts (${DB_LABEL})`, () => {
  it('releases a group that was busy when its silence ended, at the next recheck', async () => {
    const i = await createIntegration(s, { name: 'release-busy', kind: 'generic' });
    const endsAt = Date.now() + 1500;
    const silence = await s.api('/api/silences/', {
      json: {
        matchers: [{ name: 'env', value: 'qa' }],
        ends_at: new Date(endsAt).toISOString(),
        comment: 'maintenance',
        created_by: 'test',
      },
    });
    expect(silence.status).toBe(201);
    const alert = genericAlert({ dedup_key: 'q1', group_key: 'gq', labels: { env: 'qa' } });
    expect((await accepted(s, i, { alerts: [alert] })).alerts[0]?.outcome).toBe('suppressed');
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt - Date.now()) + 200));

    const db = s.database.db;
    const service = testSweeper(db);
    const state = async () =>
      (
        await sql<{ state: string; incident_id: string | null }>`select state, incident_id from alerts
          where integration_id = ${i.id} and dedup_key = 'q1'`.execute(db)
      ).rows[0];
    const now = Date.now();
    // The silence ends while a delivery holds the group: the release skips it.
    await db.transaction().execute(async (tx) => {
      await sql`select 1 from alert_groups where integration_id = ${i.id} and group_key = 'gq' for update`.execute(tx);
      await service.sweepOnce(new Date(now));
    });
    expect(await state()).toMatchObject({ state: 'suppressed' });
    // Within the recheck interval nothing looks again.
    await service.sweepOnce(new Date(now + RELEASE_RECHECK_MS / 2));
    expect(await state()).toMatchObject({ state: 'suppressed' });
    await service.sweepOnce(new Date(now + RELEASE_RECHECK_MS));
    const released = await state();
    expect(released?.state).toBe('active');
    expect(released?.incident_id).not.toBeNull();
  });

  it('leaves alerts a silence in force still holds', async () => {
    const i = await createIntegration(s, { name: 'release-held', kind: 'generic' });
    const silence = await s.api('/api/silences/', {
      json: {
        matchers: [{ name: 'env', value: 'staging' }],
        ends_at: new Date(Date.now() + 3_600_000).toISOString(),
        comment: 'held',
        created_by: 'test',
      },
    });
    expect(silence.status).toBe(201);
    const alert = genericAlert({ dedup_key: 's1', group_key: 'gs', labels: { env: 'staging' } });
    expect((await accepted(s, i, { alerts: [alert] })).alerts[0]?.outcome).toBe('suppressed');
    const service = testSweeper(s.database.db);
    await service.sweepOnce(new Date());
    const rows = await sql<{ state: string }>`select state from alerts where integration_id = ${i.id}`.execute(
      s.database.db,
    );
    expect(rows.rows.map((r) => r.state)).toEqual(['suppressed']);
  });
});
