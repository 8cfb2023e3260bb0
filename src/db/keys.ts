// Query functions for api_keys and room_tickets. Hashes only: secrets never reach the database.
import { sql, type Kysely } from 'kysely';
import type { ApiKeyRow, Database } from './types.js';

export interface NewApiKey {
  name: string;
  prefix: string;
  hash: string;
  scopes: string[];
  expires_at: Date | null;
}

/** Inserts a key; undefined when the name (or, astronomically unlikely, the prefix) is taken. */
export async function insertApiKey(db: Kysely<Database>, key: NewApiKey): Promise<ApiKeyRow | undefined> {
  return db
    .insertInto('api_keys')
    .values(key)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** The key with this prefix (one unique-index lookup), revoked and expired ones included: the caller says why not. */
export async function findApiKeyByPrefix(db: Kysely<Database>, prefix: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('prefix', '=', prefix).executeTakeFirst();
}

export async function listApiKeys(db: Kysely<Database>): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
}

/** Revokes the key named `nameOrId` (its name, or its id when that is a UUID); undefined if there is none. */
export async function revokeApiKey(
  db: Kysely<Database>,
  nameOrId: string,
  byId: boolean,
): Promise<ApiKeyRow | undefined> {
  return db
    .updateTable('api_keys')
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
    .where(byId ? 'id' : 'name', '=', nameOrId)
    .returningAll()
    .executeTakeFirst();
}

/** Whether any key was ever created (revoked ones count: once keys exist, the server stays closed). */
export async function anyApiKey(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('api_keys').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Records when keys were last used, in one statement for a batch of keys. */
export async function touchApiKeys(db: Kysely<Database>, used: ReadonlyMap<string, Date>): Promise<void> {
  if (used.size === 0) return;
  const rows = JSON.stringify([...used].map(([id, at]) => ({ id, at: at.toISOString() })));
  await sql`update api_keys k set last_used_at = greatest(k.last_used_at, u.at)
    from json_to_recordset(${rows}::json) as u(id uuid, at timestamptz) where k.id = u.id`.execute(db);
}

export async function insertRoomTicket(
  db: Kysely<Database>,
  hash: string,
  keyId: string,
  expiresAt: Date,
): Promise<void> {
  await db.insertInto('room_tickets').values({ hash, key_id: keyId, expires_at: expiresAt }).execute();
  // Tickets nobody used: gone with the next one issued, so the table stays as small as the minute's traffic.
  await db
    .deleteFrom('room_tickets')
    .where('expires_at', '<', sql<Date>`now()`)
    .execute();
}

/**
 * Uses up the ticket with this hash: deleted in the same statement that reads it, so it works once on any instance.
 * Its key, or undefined when there is no such ticket or it has expired.
 */
export async function redeemRoomTicket(db: Kysely<Database>, hash: string): Promise<ApiKeyRow | undefined> {
  return db
    .with('used', (q) =>
      q
        .deleteFrom('room_tickets')
        .where('hash', '=', hash)
        .where('expires_at', '>', sql<Date>`now()`)
        .returning('key_id'),
    )
    .selectFrom('api_keys')
    .innerJoin('used', 'used.key_id', 'api_keys.id')
    .selectAll('api_keys')
    .executeTakeFirst();
}
