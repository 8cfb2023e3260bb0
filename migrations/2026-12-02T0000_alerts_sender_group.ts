// The sender's own group of each alert (Alertmanager's and Grafana's `groupKey`), so that a message saying its group
// resolved can end the alerts of that group it no longer names: Alertmanager leaves silenced and inhibited alerts out
// of its messages and never sends their resolve, and without this they stayed firing for good, holding the incident
// open (review with a real Alertmanager, 2026-12-01).
//
// Firing alerts already stored get the key they would get now where that is certain: an Alertmanager or Grafana
// integration without `group_by`, whose group key is the sender's own (cut to 1024 characters, as the parser cuts
// both). Elsewhere it stays null until the sender next sends the alert, which it does with every message of its
// group while the alert fires. A constant default, so adding the column is instant; the index covers firing alerts
// only (a few thousand at most per integration), so building it is quick.
// Frozen in time: never import from src/.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table alerts add column sender_group text`.execute(db);
  await sql`update alerts a set sender_group = a.group_key from integrations i
    where i.id = a.integration_id and a.status = 'firing' and i.kind in ('alertmanager', 'grafana')
      and coalesce(i.settings->>'group_by', '') = ''`.execute(db);
  await sql`create index alerts_firing_sender_group_idx on alerts (integration_id, sender_group)
    where status = 'firing' and sender_group is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists alerts_firing_sender_group_idx`.execute(db);
  await sql`alter table alerts drop column sender_group`.execute(db);
}
