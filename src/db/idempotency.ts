// Query functions for idempotency_keys: claim a key, finish it with the response, replay it, forget old ones.
import { sql, type Kysely } from 'kysely';
import type { Database } from './types.js';

/** How long a key is remembered (the IETF draft suggests at least 24 hours). */
export const IDEMPOTENCY_TTL_HOURS = 24;
/**
 * A claim left unfinished and older than this may be taken over. Claims now commit only with their request's writes
 * and response (src/rest/idempotency.ts), so only a claim committed by an older version can be unfinished.
 */
export const ABANDONED_CLAIM_SECONDS = 60;

export interface KeyRecord {
  request_hash: string;
  status: number | null;
  response: string | null;
}

/**
 * Claims `key` for a request with `requestHash`: true when the claim is ours (a new key, an expired one, or one
 * abandoned mid-request). Otherwise the existing record, for the caller to replay (finished, same hash), refuse as
 * in progress (unfinished) or as reused with another request (different hash). Run it in the request's transaction:
 * a claim another transaction has not committed yet makes it wait for that transaction (up to lock_timeout).
 */
export async function claimIdempotencyKey(
  db: Kysely<Database>,
  principal: string,
  key: string,
  requestHash: string,
  claim: string,
): Promise<true | KeyRecord> {
  const claimed = await db
    .insertInto('idempotency_keys')
    .values({ principal, key, request_hash: requestHash, claim })
    .onConflict((oc) =>
      oc
        .columns(['principal', 'key'])
        .doUpdateSet({
          request_hash: requestHash,
          claim,
          claimed_at: sql<Date>`now()`,
          created_at: sql<Date>`now()`,
          status: null,
          response: null,
        })
        .where((eb) =>
          eb.or([
            eb('idempotency_keys.created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`),
            eb.and([
              eb('idempotency_keys.status', 'is', null),
              eb(
                'idempotency_keys.claimed_at',
                '<',
                sql<Date>`now() - make_interval(secs => ${ABANDONED_CLAIM_SECONDS})`,
              ),
            ]),
          ]),
        ),
    )
    .returning('claim')
    .executeTakeFirst();
  if (claimed) return true;
  const existing = await db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status', 'response'])
    .where('principal', '=', principal)
    .where('key', '=', key)
    .executeTakeFirst();
  // Gone between the two statements (the hourly sweep of expired keys): the caller may try again.
  return existing ?? { request_hash: requestHash, status: null, response: null };
}

/** Stores the response of our claim; run it in the transaction that made the request's writes. False if not ours. */
export async function finishIdempotencyKey(
  db: Kysely<Database>,
  principal: string,
  key: string,
  claim: string,
  status: number,
  response: string,
): Promise<boolean> {
  const done = await db
    .updateTable('idempotency_keys')
    .set({ status, response })
    .where('principal', '=', principal)
    .where('key', '=', key)
    .where('claim', '=', claim)
    .executeTakeFirst();
  return done.numUpdatedRows > 0n;
}

/** Deletes keys past their TTL; returns how many. */
export async function sweepIdempotencyKeys(db: Kysely<Database>): Promise<number> {
  const res = await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
