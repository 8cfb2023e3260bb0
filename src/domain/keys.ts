// API keys: how a key looks, how it is checked, what its scopes allow, and creating, listing and revoking them.
// A key is `wr_` + 32 random bytes in base64url (256 bits); the 12 characters after `wr_` are its prefix, stored in
// clear to find it and to name it in logs; the database keeps only SHA-256 of the whole key.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Uuid, type ApiKey, type CreatedApiKey, type Scope } from '../../schema/index.js';
import { findApiKeyByPrefix, insertApiKey, listApiKeys, revokeApiKey } from '../db/keys.js';
import type { ApiKeyRow, Database } from '../db/types.js';
import { AppError } from './errors.js';

export const KEY_MARK = 'wr_';
export const PREFIX_LENGTH = 12;
const KEY_SHAPE = /^wr_[A-Za-z0-9_-]{43}$/;

/** Who is calling: a verified, live key. */
export interface Principal {
  id: string;
  name: string;
  prefix: string;
  scopes: readonly Scope[];
}

/** What each scope grants, itself included: write implies read, admin implies everything. */
const IMPLIED: Record<Scope, readonly Scope[]> = {
  ingest: ['ingest'],
  read: ['read'],
  write: ['write', 'read'],
  admin: ['admin', 'write', 'read', 'ingest'],
};

/** Whether keys holding `held` may do what needs `needed`. */
export function grants(held: readonly Scope[], needed: Scope): boolean {
  return held.some((s) => IMPLIED[s].includes(needed));
}

/** Every scope keys holding `held` are granted (implied ones included), in the order of the Scope enum. */
export function grantedScopes(held: readonly Scope[]): Scope[] {
  return (Object.keys(IMPLIED) as Scope[]).filter((s) => grants(held, s));
}

/** SHA-256, hex: enough for secrets with 256 bits of randomness (nothing to brute-force). */
export const sha256 = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** A new random secret with the given mark: `wr_` + 43 base64url characters. */
export function newSecret(mark = KEY_MARK): string {
  return mark + randomBytes(32).toString('base64url');
}

/** The prefix of a well-formed key, or undefined for anything that cannot be one of ours. */
export function prefixOf(key: string): string | undefined {
  return KEY_SHAPE.test(key) ? key.slice(KEY_MARK.length, KEY_MARK.length + PREFIX_LENGTH) : undefined;
}

/** Compares a presented secret with a stored hash in constant time. */
export function matchesHash(secret: string, hash: string): boolean {
  const a = Buffer.from(sha256(secret), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Milliseconds in `90d`, `12h` or `30m` (the shape is checked by the Duration schema). */
export function durationMs(text: string): number {
  const n = Number(text.slice(0, -1));
  const unit = text.slice(-1);
  return n * (unit === 'd' ? 86_400_000 : unit === 'h' ? 3_600_000 : 60_000);
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The documented ApiKey (never the hash). */
export function toApiKey(r: ApiKeyRow): ApiKey {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes as Scope[],
    created_at: r.created_at.toISOString(),
    last_used_at: iso(r.last_used_at),
    expires_at: iso(r.expires_at),
    revoked_at: iso(r.revoked_at),
  };
}

export interface NewKey {
  name: string;
  scopes: readonly Scope[];
  /** `90d` etc.; none: the key does not expire. */
  expires_in?: string | undefined;
}

/** Creates a key; the result carries the secret, which is not stored and cannot be shown again. */
export async function createApiKey(db: Kysely<Database>, input: NewKey, now = new Date()): Promise<CreatedApiKey> {
  const key = newSecret();
  const prefix = prefixOf(key) ?? '';
  const row = await insertApiKey(db, {
    name: input.name,
    prefix,
    hash: sha256(key),
    scopes: [...new Set(input.scopes)],
    expires_at: input.expires_in ? new Date(now.getTime() + durationMs(input.expires_in)) : null,
  });
  if (!row) throw new AppError('CONFLICT', `a key named ${input.name} already exists`);
  return { ...toApiKey(row), key };
}

export async function listKeys(db: Kysely<Database>): Promise<ApiKey[]> {
  return (await listApiKeys(db)).map(toApiKey);
}

/** Revokes a key by name or id; it stops working at the next request on every instance. */
export async function revokeKey(db: Kysely<Database>, nameOrId: string): Promise<ApiKey> {
  // An id first: a key may be named like another key's id, and must not shield that key from its revocation.
  const row =
    (Uuid.safeParse(nameOrId).success ? await revokeApiKey(db, nameOrId, true) : undefined) ??
    (await revokeApiKey(db, nameOrId, false));
  if (!row) throw new AppError('NOT_FOUND', `key ${nameOrId} not found`);
  return toApiKey(row);
}

/** Why a presented key was refused (said in the 401, so its owner knows what to fix). */
export type KeyRefusal = 'unknown' | 'revoked' | 'expired';

/** Whether a key row is usable now. */
export function liveKey(row: ApiKeyRow, now: Date): Principal | KeyRefusal {
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return 'expired';
  return { id: row.id, name: row.name, prefix: row.prefix, scopes: row.scopes as Scope[] };
}

/**
 * Whether the key a long-lived connection (a room socket) was opened with is still usable: it is checked again on
 * every chat message and every ping, so a revoked or expired key also loses the sockets it opened.
 */
export async function keyStillLive(db: Kysely<Database>, principal: Principal, now = new Date()): Promise<boolean> {
  return (await liveKeyIds(db, [principal], now)).has(principal.id);
}

/**
 * Of `principals`, the ids whose key is still usable (not revoked, not expired), in one query by primary key: the
 * room route re-checks every key holding sockets this way, so a round is one statement however many keys there are.
 */
export async function liveKeyIds(
  db: Kysely<Database>,
  principals: readonly Principal[],
  now = new Date(),
): Promise<Set<string>> {
  if (principals.length === 0) return new Set();
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .where(
      'id',
      'in',
      principals.map((p) => p.id),
    )
    .execute();
  return new Set(rows.filter((row) => typeof liveKey(row, now) !== 'string').map((row) => row.id));
}

/** Checks a presented key: one indexed lookup by prefix, then a constant-time hash comparison. */
export async function verifyKey(db: Kysely<Database>, key: string, now = new Date()): Promise<Principal | KeyRefusal> {
  const prefix = prefixOf(key);
  if (!prefix) return 'unknown';
  const row = await findApiKeyByPrefix(db, prefix);
  if (!row || !matchesHash(key, row.hash)) return 'unknown';
  return liveKey(row, now);
}
