// The upgrade that adds alerts.sender_group (migrations/2026-12-02T0000_alerts_sender_group.ts): firing alerts of
// Alertmanager and Grafana integrations without group_by get the sender group the parser gives their next message, so
// a "group resolved" message after the upgrade can end the ones a silence keeps out of it. Needs a scratch database
// on a PostgreSQL server (POSTGRES_URL), as the other upgrade tests: the embedded server runs one database.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/types.js';
import { AlertmanagerMessage, senderGroupOf } from '../../src/integrations/alertmanager.js';
import { DB_LABEL, POSTGRES_URL, scratchKysely } from './harness.js';

const BEFORE = '2026-12-01T1000_incident_tags';
const suite = POSTGRES_URL ? describe : describe.skip;

suite(`upgrading to alerts.sender_group (${DB_LABEL})`, () => {
  let scratch: Awaited<ReturnType<typeof scratchKysely>>;
  let db: Kysely<Database>;

  beforeAll(async () => {
    if (!POSTGRES_URL) return;
    scratch = await scratchKysely(POSTGRES_URL);
    db = scratch.db;
  });
  afterAll(() => scratch?.close());

  it('fills it where the parser would give the same value, and leaves it null where it cannot know', async () => {
    expect((await createMigrator(db).migrateTo(BEFORE)).error).toBeUndefined();
    const integration = async (name: string, kind: string, settings: object) =>
      (
        await sql<{ id: string }>`insert into integrations (name, kind, secret, secret_hash, settings)
          values (${name}, ${kind}, ${name}, ${name}, ${JSON.stringify(settings)}::jsonb) returning id`.execute(db)
      ).rows[0]?.id ?? '';
    const am = await integration('am', 'alertmanager', {});
    const grafana = await integration('grafana', 'grafana', { group_by: null });
    const split = await integration('split', 'alertmanager', { group_by: '{{ labels.instance }}' });
    const pd = await integration('pd', 'pagerduty', {});
    const alert = (integrationId: string, key: string, group: string, status: string, details: object) =>
      sql`insert into alerts (integration_id, dedup_key, group_key, status, state, title, severity, source, labels,
          annotations, links, details, fired_at, first_seen_at, last_seen_at)
        values (${integrationId}, ${key}, ${group}, ${status}, 'active', 't', 'high', 's', '{}', '{}', '[]',
          ${JSON.stringify(details)}::jsonb, now(), now(), now())`.execute(db);
    const amGroup = '{}:{alertname="DiskFull"}';
    await alert(am, 'a1', amGroup, 'firing', { external_url: 'http://am:9093' });
    await alert(am, 'a2', amGroup, 'resolved', { external_url: 'http://am:9093' });
    await alert(am, 'a3', 'g'.repeat(1024), 'firing', { external_url: 'http://am:9093' });
    await alert(grafana, 'g1', amGroup, 'firing', { external_url: 'http://grafana:3000/', org_id: 1 });
    await alert(split, 's1', 'web-1', 'firing', { external_url: 'http://am:9093' });
    await alert(pd, 'p1', 'routing_key:abc', 'firing', {});

    expect((await createMigrator(db).migrateToLatest()).error).toBeUndefined();
    const rows = await sql<{ dedup_key: string; sender_group: string | null }>`
      select dedup_key, sender_group from alerts order by dedup_key`.execute(db);
    const byKey = Object.fromEntries(rows.rows.map((r) => [r.dedup_key, r.sender_group]));
    // What the parser gives the next message of each (src/integrations/alertmanager.ts).
    const message = (externalURL: string, orgId?: number) =>
      AlertmanagerMessage.parse({ version: orgId === undefined ? '4' : '1', externalURL, orgId, alerts: [] });
    expect(byKey.a1).toBe(senderGroupOf(message('http://am:9093'), amGroup));
    expect(byKey.g1).toBe(senderGroupOf(message('http://grafana:3000/', 1), amGroup));
    // Resolved, too long to be kept as it is, split by group_by, or not a sender that sends whole groups: null.
    expect([byKey.a2, byKey.a3, byKey.s1, byKey.p1]).toEqual([null, null, null, null]);

    expect((await createMigrator(db).migrateTo(BEFORE)).error).toBeUndefined();
    expect((await createMigrator(db).migrateToLatest()).error).toBeUndefined();
  }, 60_000);
});
