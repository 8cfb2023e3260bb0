// The sender's own group of each alert (Alertmanager's and Grafana's `externalURL`, Grafana's `orgId` and the
// `groupKey`), so that a message saying its group resolved can end the alerts of that group it no longer names:
// Alertmanager leaves silenced and inhibited alerts out of its messages and never sends their resolve, and without
// this they stayed firing for good, holding the incident open (review with a real Alertmanager, 2026-12-01).
//
// Firing alerts already stored get the value the parser would give them now where that is certain: an Alertmanager
// or Grafana integration without `group_by`, whose stored group key is the sender's groupKey, and a value short enough
// to be kept as it is (src/integrations/alertmanager.ts, senderGroupOf). Elsewhere it stays null until a message
// names the alert again; one that Alertmanager mutes for good (silenced, inhibited) is never named again and keeps
// its incident open as before, until a person resolves it.
//
// The column has no default, so adding it rewrites nothing; the table stays locked for the update and the index
// build, which read every row of `alerts` (firing ones, and resolved ones from the last week): seconds at most at
// hundreds of thousands of rows. The index holds only alerts with a sender group (Alertmanager's and Grafana's).
// Frozen in time: never import from src/.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table alerts add column sender_group text`.execute(db);
  await sql`update alerts a set sender_group = v.value
    from (select a2.id, coalesce(a2.details->>'external_url', '') || '|' || coalesce(a2.details->>'org_id', '') || '|'
          || a2.group_key as value
        from alerts a2 join integrations i on i.id = a2.integration_id
        where a2.status = 'firing' and i.kind in ('alertmanager', 'grafana')
          and coalesce(i.settings->>'group_by', '') = '') v
    where a.id = v.id and char_length(v.value) <= 1024 and octet_length(v.value) <= 2400`.execute(db);
  // Every alert of a sender group, resolved ones too: a message saying the group resolved also clears the groups
  // where its resolved alerts left a count of alerts out of sight.
  await sql`create index alerts_sender_group_idx on alerts (integration_id, sender_group)
    where sender_group is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists alerts_sender_group_idx`.execute(db);
  await sql`alter table alerts drop column sender_group`.execute(db);
}
