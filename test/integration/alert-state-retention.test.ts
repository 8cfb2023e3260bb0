// Alerts and silences do not accumulate for ever: resolved alerts unheard of for a week and silences ended 120 h ago
// are deleted by the sweeper's hourly prune (src/alerts/sweeper.ts). The boundary: firing alerts, recently resolved
// ones, silences still in force or ended recently, and ended silences whose alerts were not yet released all stay; an
// alert firing again after its row went is a new occurrence on its group's incident.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENDED_SILENCE_RETENTION_MS,
  PRUNE_BATCH,
  pruneAlertState,
  RESOLVED_ALERT_RETENTION_MS,
} from '../../src/alerts/sweeper.js';
import { DB_LABEL, startTestApp, type TestServer } from './harness.js';
import { accepted, createIntegration, genericAlert, testSweeper, incident } from './alerts-helpers.js';

let s: TestServer;
beforeAll(async () => {
  // The app's own sweeper would prune (and release silences) on its first tick, racing the prunes under test.
  s = await startTestApp({ ALERT_SWEEP_INTERVAL_MS: '60000' });
});
afterAll(() => s.stop());

const HOUR = 3_600_000;

describe(`alert state retention (${DB_LABEL})`, () => {
  it('deletes resolved alerts unheard of for a week and nothing that fires or resolved lately', async () => {
    const i = await createIntegration(s, { name: 'retention', kind: 'generic' });
    const alert = (dedup_key: string, status: 'firing' | 'resolved' = 'firing') =>
      genericAlert({ dedup_key, group_key: 'retention-g', status });
    const fired = await accepted(s, i, { alerts: [alert('old'), alert('recent'), alert('still-firing')] });
    const incidentId = fired.alerts[0]?.incident_id ?? '';
    expect(incidentId).not.toBe('');
    await accepted(s, i, { alerts: [alert('old', 'resolved'), alert('recent', 'resolved')] });
    const db = s.database.db;
    const now = Date.now();
    // Heard of last: just over the retention (old), just under it (recent), long ago but still firing.
    const lastSeen = (key: string, msAgo: number) =>
      sql`update alerts set last_seen_at = ${new Date(now - msAgo).toISOString()}::timestamptz
        where integration_id = ${i.id} and dedup_key = ${key}`.execute(db);
    await lastSeen('old', RESOLVED_ALERT_RETENTION_MS + HOUR);
    await lastSeen('recent', RESOLVED_ALERT_RETENTION_MS - HOUR);
    await lastSeen('still-firing', 30 * 24 * HOUR);

    const pruned = await pruneAlertState(db, new Date(now));
    expect(pruned.alerts).toBe(1);
    const left = await sql<{ dedup_key: string }>`select dedup_key from alerts where integration_id = ${i.id}
      order by dedup_key`.execute(db);
    expect(left.rows.map((r) => r.dedup_key)).toEqual(['recent', 'still-firing']);

    // Firing again after its row went: a new occurrence, joined to the group's incident that still fires.
    const again = await accepted(s, i, { alerts: [alert('old')] });
    expect(again.alerts[0]).toMatchObject({ dedup_key: 'old', incident_id: incidentId });
    expect((await incident(s, incidentId)).status).toBe('open');
  });

  it('drains a backlog larger than one statement takes in one prune', async () => {
    const i = await createIntegration(s, { name: 'retention-backlog', kind: 'generic' });
    const db = s.database.db;
    const rows = PRUNE_BATCH * 2 + 500;
    await sql`insert into alerts (integration_id, dedup_key, group_key, status, state, title, severity, source, labels,
        annotations, links, details, fired_at, first_seen_at, last_seen_at)
      select ${i.id}, 'fp-' || n, 'g', 'resolved', 'active', 't', 'high', 'x', '{}', '{}', '[]', '{}', now(), now(),
        now() - interval '30 days'
      from generate_series(1, ${rows}) n`.execute(db);
    expect((await pruneAlertState(db)).alerts).toBe(rows);
  });

  it('deletes silences ended 120 h ago once released; not those in force, ended lately, or not yet released', async () => {
    const make = async (comment: string): Promise<string> => {
      const res = await s.api('/api/silences/', {
        json: {
          matchers: [{ name: 'retention', value: comment }],
          ends_at: new Date(Date.now() + 3_600_000).toISOString(),
          comment,
          created_by: 'test',
        },
      });
      expect(res.status, await res.clone().text()).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const ids = {
      old: await make('old'),
      recent: await make('recent'),
      unreleased: await make('unreleased'),
      active: await make('active'),
    };
    const db = s.database.db;
    const now = Date.now();
    const ended = (id: string, msAgo: number, released: boolean) =>
      sql`update silences set ends_at = ${new Date(now - msAgo).toISOString()}::timestamptz,
        released_at = ${released ? new Date(now - msAgo).toISOString() : null}::timestamptz where id = ${id}`.execute(
        db,
      );
    await ended(ids.old, ENDED_SILENCE_RETENTION_MS + HOUR, true);
    await ended(ids.recent, ENDED_SILENCE_RETENTION_MS - HOUR, true);
    await ended(ids.unreleased, ENDED_SILENCE_RETENTION_MS + HOUR, false);

    const pruned = await pruneAlertState(db, new Date(now));
    expect(pruned.silences).toBe(1);
    expect((await s.api(`/api/silences/${ids.old}`)).status).toBe(404);
    for (const id of [ids.recent, ids.unreleased, ids.active])
      expect((await s.api(`/api/silences/${id}`)).status).toBe(200);
  });

  it('is what the sweeper runs, once an hour', async () => {
    const i = await createIntegration(s, { name: 'retention-sweeper', kind: 'generic' });
    const alert = { dedup_key: 'gone', group_key: 'retention-s', status: 'resolved' as const };
    await accepted(s, i, { alerts: [genericAlert({ ...alert, status: 'firing' })] });
    await accepted(s, i, { alerts: [genericAlert(alert)] });
    const db = s.database.db;
    await sql`update alerts set last_seen_at = now() - interval '30 days' where integration_id = ${i.id}`.execute(db);
    const count = async () =>
      Number(
        (await sql<{ n: string }>`select count(*) as n from alerts where integration_id = ${i.id}`.execute(db)).rows[0]
          ?.n,
      );
    // A service of its own, so its clock is the test's: its first sweep prunes, the next prune is due an hour later.
    const service = testSweeper(db);
    // The row is prunable from 23 days ago on. A first sweep just before that prunes nothing; a second, 40 minutes
    // later, would prune it but comes within the hour; one an hour after the first does.
    const prunableFrom = Date.now() - 23 * 24 * HOUR;
    await service.sweepOnce(new Date(prunableFrom - 30 * 60_000));
    expect(await count()).toBe(1);
    await service.sweepOnce(new Date(prunableFrom + 10 * 60_000));
    expect(await count()).toBe(1);
    await service.sweepOnce(new Date(prunableFrom + 31 * 60_000));
    expect(await count()).toBe(0);
  });
});
