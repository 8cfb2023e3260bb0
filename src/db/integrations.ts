// Query functions for integrations, silences and the delivery log.
import { sql, type Kysely } from 'kysely';
import type { AlertDeliveryRow, Database, IntegrationRow, SilenceRow } from './types.js';
import { microIso } from './events.js';

export interface NewIntegration {
  name: string;
  kind: string;
  settings: Record<string, unknown>;
  secret: string;
  secret_hash: string;
}

/** Inserts an integration; undefined when the name is taken. */
export async function insertIntegration(
  db: Kysely<Database>,
  row: NewIntegration,
): Promise<IntegrationRow | undefined> {
  return db
    .insertInto('integrations')
    .values({ ...row, settings: JSON.stringify(row.settings) })
    .onConflict((oc) => oc.column('name').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** `lock`: inside a transaction, FOR UPDATE (a read-modify-write of its settings). */
export async function findIntegration(
  db: Kysely<Database>,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<IntegrationRow | undefined> {
  const q = db.selectFrom('integrations').selectAll().where('id', '=', id);
  return (opts.lock ? q.forUpdate() : q).executeTakeFirst();
}

/** The integration whose secret hashes to `hash` (PagerDuty's routing_key on /v2/enqueue). */
export async function findIntegrationBySecretHash(
  db: Kysely<Database>,
  hash: string,
): Promise<IntegrationRow | undefined> {
  return db.selectFrom('integrations').selectAll().where('secret_hash', '=', hash).executeTakeFirst();
}

export async function listIntegrations(db: Kysely<Database>): Promise<IntegrationRow[]> {
  return db.selectFrom('integrations').selectAll().orderBy('created_at').orderBy('id').execute();
}

/**
 * Updates any of name, settings, secret (with its hash); undefined when there is no such integration. Throws on a
 * taken name (23505).
 */
export async function updateIntegration(
  db: Kysely<Database>,
  id: string,
  set: { name?: string; settings?: Record<string, unknown>; secret?: string; secret_hash?: string },
): Promise<IntegrationRow | undefined> {
  return db
    .updateTable('integrations')
    .set({
      ...(set.name === undefined ? {} : { name: set.name }),
      ...(set.settings === undefined ? {} : { settings: JSON.stringify(set.settings) }),
      ...(set.secret === undefined ? {} : { secret: set.secret }),
      ...(set.secret_hash === undefined ? {} : { secret_hash: set.secret_hash }),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteIntegration(db: Kysely<Database>, id: string): Promise<IntegrationRow | undefined> {
  return db.deleteFrom('integrations').where('id', '=', id).returningAll().executeTakeFirst();
}

export interface NewDelivery {
  id: string;
  integration_id: string;
  path: string;
  status: number;
  size_bytes: number;
  outcomes: unknown[];
  error: string | null;
  payload: string;
  payload_truncated: boolean;
}

export async function insertDelivery(db: Kysely<Database>, d: NewDelivery): Promise<void> {
  await db
    .insertInto('alert_deliveries')
    .values({ ...d, outcomes: JSON.stringify(d.outcomes) })
    .execute();
}

/** The newest `limit` deliveries of an integration, newest first. */
export async function listDeliveries(
  db: Kysely<Database>,
  integrationId: string,
  limit: number,
): Promise<AlertDeliveryRow[]> {
  return db
    .selectFrom('alert_deliveries')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
}

/**
 * Deletes all but the newest `keep` deliveries of every integration, and all but its newest `keepRefused` refused
 * secrets (401), counted apart: anyone who knows an integration's URL can send refused requests, and they must not
 * push the deliveries its sender made out of the log. Returns how many rows went.
 */
export async function pruneDeliveries(db: Kysely<Database>, keep: number, keepRefused: number): Promise<number> {
  const result = await sql`delete from alert_deliveries d using (
      select id from (
        select id, status,
          row_number() over (partition by integration_id, status = 401 order by seq desc) as n
        from alert_deliveries
      ) ranked where n > case when status = 401 then ${keepRefused}::int else ${keep}::int end
    ) old where d.id = old.id`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Deletes silences that ended before `before` and were marked released (the alerts they held were weighed again then,
 * or at a later recheck of suppressed alerts), at most `limit`. Returns how many went.
 */
export async function deleteEndedSilences(db: Kysely<Database>, before: Date, limit: number): Promise<number> {
  const result = await sql`delete from silences where id in (
      select id from silences where released_at is not null and ends_at < ${before.toISOString()}::timestamptz
      limit ${limit} for update skip locked)`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export interface NewSilence {
  matchers: unknown[];
  starts_at: string;
  ends_at: string;
  comment: string;
  created_by: string;
}

export async function insertSilence(db: Kysely<Database>, s: NewSilence): Promise<SilenceRow> {
  return db
    .insertInto('silences')
    .values({ ...s, matchers: JSON.stringify(s.matchers) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findSilence(db: Kysely<Database>, id: string): Promise<SilenceRow | undefined> {
  return db.selectFrom('silences').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Silences by state at the database's `now()`, newest first. */
export async function listSilences(
  db: Kysely<Database>,
  state: 'pending' | 'active' | 'expired' | undefined,
  limit: number,
  /** Only silences strictly after this one, newest first (a cursor's position). */
  below?: { createdAt: string; id: string },
): Promise<Array<SilenceRow & { page_t: string; db_now: Date }>> {
  // `db_now`: the clock the state filter used, for each row's `state` to agree with it.
  let q = db
    .selectFrom('silences')
    .selectAll()
    .select([microIso('silences.created_at').as('page_t'), sql<Date>`now()`.as('db_now')]);
  if (below) {
    q = q.where(sql<boolean>`(created_at, id) < (${below.createdAt}::timestamptz, ${below.id}::uuid)`);
  }
  if (state === 'pending') q = q.where('starts_at', '>', sql<Date>`now()`);
  if (state === 'active') q = q.where('starts_at', '<=', sql<Date>`now()`).where('ends_at', '>', sql<Date>`now()`);
  if (state === 'expired') q = q.where('ends_at', '<=', sql<Date>`now()`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** How many silences have not ended at the database's now (pending and active). */
export async function countUnendedSilences(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('silences')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('ends_at', '>', sql<Date>`now()`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Silences in force at the database's now (the ones that hold alerts back). */
export async function activeSilences(db: Kysely<Database>): Promise<SilenceRow[]> {
  return db
    .selectFrom('silences')
    .selectAll()
    .where('starts_at', '<=', sql<Date>`now()`)
    .where('ends_at', '>', sql<Date>`now()`)
    .execute();
}

/** Ends a silence now (expiring an ended one changes nothing); undefined when there is none. */
export async function expireSilence(db: Kysely<Database>, id: string): Promise<SilenceRow | undefined> {
  return db
    .updateTable('silences')
    .set({ ends_at: sql<Date>`least(ends_at, now())`, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
