// Alerts and silences do not accumulate for ever: resolved alerts unheard of for a week and silences ended 120 h ago
// are deleted by the sweeper's hourly prune (src/alerts/sweeper.ts). The boundary: firing alerts, recently resolved
// ones, silences still in force or ended recently, and ended silences whose alerts were not yet released all stay; an
// alert firing again after its row went is a new occurrence on its group's incident. Groups go once nothing is left
// in them: no alert, and no incident a new alert could still reopen.
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REOPEN_WINDOW_S } from '../../schema/index.js';
import {
  ENDED_SILENCE_RETENTION_MS,
  PRUNE_BATCH,
  pruneAlertState,
  RESOLVED_ALERT_RETENTION_MS,
} from '../../src/alerts/sweeper.js';
import { DB_LABEL, startTestApp, type TestServer } from './harness.js';
import { sessionsWaitOnLock } from './lock-waiters.js';
import { accepted, createIntegration, deliver, genericAlert, testSweeper, incident } from './alerts-helpers.js';

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

  it('deletes groups left with nothing, and none that an alert, an incident or a pending state still needs', async () => {
    const i = await createIntegration(s, { name: 'retention-groups', kind: 'generic' });
    const db = s.database.db;
    const now = Date.now();
    const DAY = 24 * HOUR;
    /** A group with an incident made by one alert, then its alerts removed and the incident set as given. */
    const group = async (key: string, status: string, resolvedDaysAgo?: number): Promise<string> => {
      const fired = await accepted(s, i, { alerts: [genericAlert({ dedup_key: `${key}-1`, group_key: key })] });
      const id = fired.alerts[0]?.incident_id ?? '';
      expect(id).not.toBe('');
      await sql`delete from alerts where integration_id = ${i.id} and group_key = ${key}`.execute(db);
      const resolvedAt = resolvedDaysAgo === undefined ? null : new Date(now - resolvedDaysAgo * DAY).toISOString();
      await sql`update incidents set status = ${status}, resolved_at = ${resolvedAt}::timestamptz
        where id = ${id}`.execute(db);
      return id;
    };
    const week = MAX_REOPEN_WINDOW_S / 86_400;
    const goneIncident = await group('gone-resolved', 'resolved', week + 1);
    await group('gone-closed', 'closed', 1);
    await sql`insert into alert_groups (integration_id, group_key) values (${i.id}, 'gone-empty')`.execute(db);
    // Within the longest reopen window: a new alert of the group may still reopen it.
    await group('kept-reopenable', 'resolved', week - 1);
    await group('kept-open', 'open');
    await group('kept-monitoring', 'resolved', week + 1);
    await sql`update alert_groups set monitoring_since = now() where integration_id = ${i.id}
      and group_key = 'kept-monitoring'`.execute(db);
    await group('kept-flapping', 'resolved', week + 1);
    await sql`update alert_groups set flapping_since = now() where integration_id = ${i.id}
      and group_key = 'kept-flapping'`.execute(db);
    // An alert still in the table (resolved, not yet a week unheard of).
    await group('kept-alert', 'resolved', week + 1);
    await accepted(s, i, {
      alerts: [genericAlert({ dedup_key: 'kept-alert-2', group_key: 'kept-alert', status: 'resolved' })],
    });

    const pruned = await pruneAlertState(db, new Date(now));
    expect(pruned.groups).toBe(3);
    const left = await sql<{ group_key: string }>`select group_key from alert_groups where integration_id = ${i.id}
      order by group_key`.execute(db);
    expect(left.rows.map((r) => r.group_key)).toEqual([
      'kept-alert',
      'kept-flapping',
      'kept-monitoring',
      'kept-open',
      'kept-reopenable',
    ]);

    // The group's key fires again: a new group and a new incident, as the old group would have given it.
    const again = await accepted(s, i, {
      alerts: [genericAlert({ dedup_key: 'gone-resolved-2', group_key: 'gone-resolved' })],
    });
    const opened = again.alerts[0]?.incident_id ?? '';
    expect(opened).not.toBe('');
    expect(opened).not.toBe(goneIncident);
    expect((await incident(s, goneIncident)).status).toBe('resolved');
  });

  it('lets a delivery waiting on a group that the prune deletes make the group anew', async () => {
    const i = await createIntegration(s, { name: 'retention-group-race', kind: 'generic' });
    await sql`insert into alert_groups (integration_id, group_key) values (${i.id}, 'raced')`.execute(s.database.db);
    const held = new pg.Client({ connectionString: s.database.url });
    await held.connect();
    try {
      // The prune's own steps, by hand: it holds the group, and deletes it while a delivery waits for it.
      await held.query('begin');
      await held.query('select 1 from alert_groups where integration_id = $1 and group_key = $2 for update', [
        i.id,
        'raced',
      ]);
      const delivery = deliver(s, i, { alerts: [genericAlert({ dedup_key: 'raced-1', group_key: 'raced' })] });
      await sessionsWaitOnLock(s.database.url);
      await held.query('delete from alert_groups where integration_id = $1 and group_key = $2', [i.id, 'raced']);
      await held.query('commit');
      const res = await delivery;
      expect(res.status, await res.clone().text()).toBe(202);
      const opened = ((await res.json()) as { alerts: Array<{ incident_id: string | null }> }).alerts[0]?.incident_id;
      expect(opened).toBeTruthy();
      const { rows } = await held.query<{ incident_id: string }>(
        'select incident_id from alert_groups where integration_id = $1 and group_key = $2',
        [i.id, 'raced'],
      );
      expect(rows).toEqual([{ incident_id: opened }]);
    } finally {
      await held.end();
    }
  });
});

describe(`a delivery racing the deletion of its integration (${DB_LABEL})`, () => {
  it('answers 404 naming the integration, and leaves nothing behind', async () => {
    const i = await createIntegration(s, { name: 'deleted-mid-delivery', kind: 'generic' });
    const held = new pg.Client({ connectionString: s.database.url });
    await held.connect();
    try {
      // The deletion is under way (its row locked, not yet committed) when the delivery has found the integration.
      await held.query('begin');
      await held.query('delete from integrations where id = $1', [i.id]);
      const delivery = deliver(s, i, { alerts: [genericAlert({ dedup_key: 'orphan-1', group_key: 'orphan' })] });
      await sessionsWaitOnLock(s.database.url);
      await held.query('commit');
      const res = await delivery;
      const text = await res.text();
      expect(res.status, text).toBe(404);
      expect(text).toContain(i.id);
      const { rows } = await held.query<{ n: number }>(
        'select (select count(*) from alert_groups where integration_id = $1)::int + (select count(*) from alerts where integration_id = $1)::int as n',
        [i.id],
      );
      expect(rows[0]?.n).toBe(0);
    } finally {
      await held.end();
    }
  });
});
