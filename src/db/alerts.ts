// Query functions for alerts and alert groups. Every function that locks runs inside the caller's transaction.
import { sql, type Kysely } from 'kysely';
import { ACTIVE_INCIDENT_STATUSES } from '../../schema/index.js';
import type { AlertGroupRow, AlertRow, Database } from './types.js';

/**
 * Locks the groups (creating missing rows), in group-key order so that two deliveries touching the same groups
 * queue instead of deadlocking. Returns them by group key, every key present.
 *
 * One statement that inserts or locks each row: an insert that skipped existing rows and a separate `FOR UPDATE`
 * left a moment in which a prune (deleteIdleGroups) could delete a row the insert had found, and the lock then found
 * nothing. The no-op update writes a new row version per group per delivery (usually heap-only: no indexed value changes).
 */
export async function lockGroups(
  db: Kysely<Database>,
  integrationId: string,
  groupKeys: readonly string[],
): Promise<Map<string, AlertGroupRow>> {
  const keys = [...new Set(groupKeys)].sort();
  if (keys.length === 0) return new Map();
  const { rows } = await sql<AlertGroupRow>`insert into alert_groups (integration_id, group_key)
    select ${integrationId}::uuid, k from unnest(${keys}::text[]) as k order by k
    on conflict (integration_id, group_key) do update set group_key = excluded.group_key
    returning *`.execute(db);
  return new Map(rows.map((r) => [r.group_key, r]));
}

/**
 * Deletes groups that hold nothing any longer, at most `limit`, skipping groups a delivery or the sweeper holds:
 * no alert left (resolved alerts go a week after they were last heard of), not in monitoring or flapping, none hidden,
 * and either no incident or one a new alert could not reopen: closed, or resolved before `resolvedBefore` (set it
 * MAX_REOPEN_WINDOW_S back). A later alert of the same key makes a new row and opens a new incident, as it would
 * have with the old row. Without this the table kept a row per group key ever seen (Alertmanager's change with pod
 * and label values). Returns how many went.
 *
 * Two statements in one transaction: the first locks the candidates, the second deletes those still empty. One
 * statement would re-check a candidate's own row once it had waited for a delivery holding it, but not the
 * `not exists` over alerts, which keeps the statement's first snapshot: a delivery that stored an alert in the group
 * (silenced, pending, below min_severity: nothing that changes the group's row) and committed meanwhile had its group
 * deleted under that alert. The second statement's snapshot is taken with the locks held, so it sees such an alert.
 */
export async function deleteIdleGroups(db: Kysely<Database>, resolvedBefore: Date, limit: number): Promise<number> {
  // Over alert_groups as g, in both statements.
  const idle = sql`g.monitoring_since is null and g.flapping_since is null and g.hidden_firing = 0
    and (g.incident_id is null or exists (select 1 from incidents i where i.id = g.incident_id
      and (i.status = 'closed' or (i.status = 'resolved' and i.resolved_at < ${resolvedBefore.toISOString()}::timestamptz))))
    and not exists (select 1 from alerts a where a.integration_id = g.integration_id and a.group_key = g.group_key)`;
  return db.transaction().execute(async (tx) => {
    const { rows } = await sql<{ integration_id: string; group_key: string }>`select g.integration_id, g.group_key
      from alert_groups g where ${idle} limit ${limit} for update skip locked`.execute(tx);
    if (rows.length === 0) return 0;
    const result = await sql`delete from alert_groups g
      where (g.integration_id, g.group_key) in (select * from unnest(${rows.map((r) => r.integration_id)}::uuid[],
        ${rows.map((r) => r.group_key)}::text[]))
        and ${idle}`.execute(tx);
    return Number(result.numAffectedRows ?? 0);
  });
}

/** Locks one group if no other transaction holds it (SKIP LOCKED: the sweeper of another instance has it). */
export async function tryLockGroup(
  db: Kysely<Database>,
  integrationId: string,
  groupKey: string,
): Promise<AlertGroupRow | undefined> {
  return db
    .selectFrom('alert_groups')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .where('group_key', '=', groupKey)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
}

export async function saveGroup(db: Kysely<Database>, g: AlertGroupRow): Promise<void> {
  await db
    .updateTable('alert_groups')
    .set({
      incident_id: g.incident_id,
      monitoring_since: g.monitoring_since,
      refires: sql<Date[]>`${g.refires.map((d) => d.toISOString())}::timestamptz[]`,
      flapping_since: g.flapping_since,
      hidden_firing: g.hidden_firing,
    })
    .where('integration_id', '=', g.integration_id)
    .where('group_key', '=', g.group_key)
    .execute();
}

/**
 * The groups the given alerts are stored in, read without locks: so a delivery can lock them before any alert row
 * (groups, then alerts, then incidents: the order every writer follows). One that moves meanwhile is caught after
 * the locks (src/alerts/receive.ts).
 */
export async function storedGroupKeys(
  db: Kysely<Database>,
  integrationId: string,
  dedupKeys: readonly string[],
): Promise<string[]> {
  const rows = await db
    .selectFrom('alerts')
    .select('group_key')
    .distinct()
    .where('integration_id', '=', integrationId)
    .where('dedup_key', 'in', [...new Set(dedupKeys), ''])
    .execute();
  return rows.map((r) => r.group_key);
}

/**
 * The groups a message saying its sender groups resolved may change, read without locks as storedGroupKeys is: those
 * holding a firing alert of one of them (which the message ends unless it names it) and those holding any of their
 * alerts while counting alerts left out of a message (hidden_firing, which the message clears). They are locked with
 * the delivery's own groups, and their firing alerts loaded with the rest.
 */
export async function senderGroupKeys(
  db: Kysely<Database>,
  integrationId: string,
  senderGroups: readonly string[],
): Promise<string[]> {
  if (senderGroups.length === 0) return [];
  const { rows } = await sql<{ group_key: string }>`select distinct a.group_key from alerts a
    where a.integration_id = ${integrationId} and a.sender_group = any(${[...new Set(senderGroups)]}::text[])
      and (a.status = 'firing' or exists (select 1 from alert_groups g
        where g.integration_id = a.integration_id and g.group_key = a.group_key and g.hidden_firing > 0))`.execute(db);
  return rows.map((r) => r.group_key);
}

/**
 * The alerts a delivery touches: those with the given dedup keys and every firing alert of the given groups (the
 * creation gate counts them, resolution checks them), locked FOR UPDATE. The group locks are already held.
 */
export async function loadAlerts(
  db: Kysely<Database>,
  integrationId: string,
  dedupKeys: readonly string[],
  groupKeys: readonly string[],
): Promise<AlertRow[]> {
  return db
    .selectFrom('alerts')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .where((eb) =>
      eb.or([
        eb('dedup_key', 'in', [...new Set(dedupKeys), '']),
        eb.and([eb('group_key', 'in', [...new Set(groupKeys), '']), eb('status', '=', 'firing')]),
      ]),
    )
    .orderBy('dedup_key')
    .forUpdate()
    .execute();
}

/** Writes alerts (new or changed) in one statement: an upsert on (integration_id, dedup_key). */
export async function upsertAlerts(db: Kysely<Database>, rows: readonly AlertRow[]): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(rows);
  await sql`insert into alerts (id, integration_id, dedup_key, group_key, status, state, title, severity, raw_severity,
      source, labels, annotations, links, details, starts_at, ends_at, incident_id, fired_at, first_seen_at,
      last_seen_at, received_count, duplicate_count, sender_group)
    select id, integration_id, dedup_key, group_key, status, state, title, severity, raw_severity, source, labels,
      annotations, links, details, starts_at, ends_at, incident_id, fired_at, first_seen_at, last_seen_at,
      received_count, duplicate_count, sender_group
    from json_to_recordset(${json}::json) as r(id uuid, integration_id uuid, dedup_key text, group_key text,
      status text, state text, title text, severity text, raw_severity text, source text, labels jsonb,
      annotations jsonb, links jsonb, details jsonb, starts_at timestamptz, ends_at timestamptz, incident_id uuid,
      fired_at timestamptz, first_seen_at timestamptz, last_seen_at timestamptz, received_count integer,
      duplicate_count integer, sender_group text)
    on conflict (integration_id, dedup_key) do update set group_key = excluded.group_key, status = excluded.status,
      state = excluded.state, title = excluded.title, severity = excluded.severity,
      raw_severity = excluded.raw_severity, source = excluded.source, labels = excluded.labels,
      annotations = excluded.annotations, links = excluded.links, details = excluded.details,
      starts_at = excluded.starts_at, ends_at = excluded.ends_at, incident_id = excluded.incident_id,
      fired_at = excluded.fired_at, last_seen_at = excluded.last_seen_at,
      received_count = excluded.received_count, duplicate_count = excluded.duplicate_count,
      sender_group = excluded.sender_group`.execute(db);
}

/** Groups whose quiet period may be over: in monitoring since before `now - auto_resolve_after` (which is > 0). */
export async function dueForAutoResolve(
  db: Kysely<Database>,
  now: Date,
): Promise<Array<{ integration_id: string; group_key: string }>> {
  return db
    .selectFrom('alert_groups as g')
    .innerJoin('integrations as i', 'i.id', 'g.integration_id')
    .select(['g.integration_id', 'g.group_key'])
    .where('g.monitoring_since', 'is not', null)
    .where(sql<boolean>`(i.settings->>'auto_resolve_after')::int > 0`)
    .where(
      sql<boolean>`g.monitoring_since + make_interval(secs => (i.settings->>'auto_resolve_after')::int) <= ${now.toISOString()}::timestamptz`,
    )
    .limit(100)
    .execute();
}

/** Flapping groups whose last re-fire is older than `quietSince`. */
export async function flappingQuietSince(
  db: Kysely<Database>,
  quietSince: Date,
): Promise<Array<{ integration_id: string; group_key: string }>> {
  return db
    .selectFrom('alert_groups')
    .select(['integration_id', 'group_key'])
    .where('flapping_since', 'is not', null)
    .where(
      sql<boolean>`coalesce(refires[array_upper(refires, 1)], flapping_since) <= ${quietSince.toISOString()}::timestamptz`,
    )
    .limit(100)
    .execute();
}

/** Silences that have ended and whose held-back alerts were not yet weighed again; marks them as done. */
export async function takeEndedSilences(db: Kysely<Database>, now: Date): Promise<string[]> {
  const rows = await sql<{ id: string }>`update silences set released_at = ${now.toISOString()}::timestamptz
    where id in (select id from silences where released_at is null and ends_at <= ${now.toISOString()}::timestamptz
      for update skip locked limit 100)
    returning id`.execute(db);
  return rows.rows.map((r) => r.id);
}

/** Firing alerts a silence suppressed, with their labels (at most `limit`, unlocked): what a release weighs. */
export async function suppressedAlerts(
  db: Kysely<Database>,
  limit = 10_000,
): Promise<Array<{ integration_id: string; group_key: string; labels: Record<string, string> }>> {
  return db
    .selectFrom('alerts')
    .select(['integration_id', 'group_key', 'labels'])
    .where('state', '=', 'suppressed')
    .where('status', '=', 'firing')
    .limit(limit)
    .execute();
}

/** The integration's incidents that are still active (open … monitoring), newest first, at most `limit`. */
export async function activeIncidentIds(db: Kysely<Database>, integrationId: string, limit = 20): Promise<string[]> {
  const rows = await db
    .selectFrom('alert_groups as g')
    .innerJoin('incidents as i', 'i.id', 'g.incident_id')
    .select('i.id')
    .where('g.integration_id', '=', integrationId)
    .where('i.status', 'in', ACTIVE_INCIDENT_STATUSES)
    .orderBy('i.created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Deletes resolved alerts last heard of before `before`, at most `limit` (rows a delivery holds are skipped, not
 * waited for). What the table keeps of an alert after it resolved only tells late copies from new firings; a firing
 * after the row is gone is weighed as a new occurrence, which a firing long after the resolve is anyway. Returns how
 * many went.
 */
export async function deleteResolvedAlerts(db: Kysely<Database>, before: Date, limit: number): Promise<number> {
  const result = await sql`delete from alerts where id in (
      select id from alerts where status = 'resolved' and last_seen_at < ${before.toISOString()}::timestamptz
      limit ${limit} for update skip locked)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
