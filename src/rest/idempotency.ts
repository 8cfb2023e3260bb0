// Idempotent POSTs (IETF httpapi "The Idempotency-Key HTTP Header Field" draft; Stripe's replay semantics): the
// first successful response to a key is stored in the same transaction as the request's writes, and a retry with
// the same key and body replays it instead of writing again, on any instance, after any restart.
import { createHash, randomUUID } from 'node:crypto';
import type { Context as HonoContext } from 'hono';
import { sql, type Kysely } from 'kysely';
import { claimIdempotencyKey, finishIdempotencyKey, type KeyRecord } from '../db/idempotency.js';
import { LOCK_NOT_AVAILABLE, sqlState } from '../db/errors.js';
import type { Database } from '../db/types.js';
import type { AppEnv } from '../http/env.js';
import { HttpError } from '../http/errors.js';
import { minimalResponse } from './prefer.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** A key is 1 to 255 visible ASCII characters (a UUID is the usual choice). */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

export interface IdempotentCall {
  db: Kysely<Database>;
  /** Whose key it is: keys of different principals never meet. '' while the server is open. */
  principal: string;
  key: string;
  /** What identifies the request (requestIdentity): the same key with another request is refused. */
  request: string;
  status: number;
  /** `Prefer: return=minimal` was asked for: success answers with no body (the full body is still stored). */
  minimal?: boolean;
  /** Runs the request's writes on `db` (a transaction); returns the response body. */
  run(db: Kysely<Database>): Promise<unknown>;
}

/**
 * How long a request waits for another one with the same key that is still running, before answering 409: one that
 * is about to finish is replayed instead.
 */
const WAIT_FOR_RUNNING_MS = 1000;

/** What the transaction found: the key was ours and the request ran, or another request's record to answer from. */
type Outcome = { ran: string } | { found: KeyRecord };

/**
 * What an idempotent request is, for comparing a retry with the first: the operation (its procedure, not the path
 * as written, so `/api/incidents` and `/api/incidents/` are one) and its input as canonical JSON (object keys
 * sorted at every depth; arrays keep their order). A retry that sent the same body with its keys in another order,
 * or through the other spelling of the path, was refused as "a different request" (review, 2026-12-01).
 */
export function requestIdentity(operation: string, input: unknown): string {
  return `${operation} ${canonicalJson(input)}`;
}

/** JSON.stringify with every object's keys in sorted order (what JSON.stringify would drop, it drops). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/**
 * Answers an idempotent request. The first one runs; its claim on the key, its writes and its response commit
 * together, in one transaction. A retry with the same key and the same request replays the stored status and body
 * (header `Idempotent-Replayed: true`); the same key with another request is 422; a request still running with that
 * key (its claim not yet committed) is waited for up to WAIT_FOR_RUNNING_MS, then 409. A request that fails, or whose
 * instance dies, stores nothing: its transaction rolls back, claim included, so a retry on any instance runs at once.
 * (The claim used to commit on its own first, and one left by a killed instance answered 409 for 60 s.)
 */
export async function answerIdempotent(c: HonoContext<AppEnv>, call: IdempotentCall): Promise<Response> {
  if (!KEY_SHAPE.test(call.key)) {
    throw new HttpError('BAD_REQUEST', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  const hash = createHash('sha256').update(call.request).digest('hex');
  const claim = randomUUID();
  const outcome = await call.db.transaction().execute(async (tx): Promise<Outcome> => {
    // A running request's uncommitted claim makes this insert wait for its transaction; not for long.
    await sql`set local lock_timeout = ${sql.lit(`${WAIT_FOR_RUNNING_MS}ms`)}`.execute(tx);
    let claimed: true | KeyRecord;
    try {
      claimed = await claimIdempotencyKey(tx, call.principal, call.key, hash, claim);
    } catch (err) {
      if (sqlState(err) !== LOCK_NOT_AVAILABLE) throw err;
      throw new HttpError('CONFLICT', 'a request with this Idempotency-Key is still in progress; retry later', {
        'Retry-After': '1',
      });
    }
    if (claimed !== true) return { found: claimed };
    await sql`set local lock_timeout to default`.execute(tx);
    const text = JSON.stringify(await call.run(tx));
    // Not ours any more only if another request took over a claim of ours older than ABANDONED_CLAIM_SECONDS, which
    // an uncommitted claim cannot be; kept for claims committed by older versions.
    if (!(await finishIdempotencyKey(tx, call.principal, call.key, claim, call.status, text))) {
      throw new HttpError('CONFLICT', 'this Idempotency-Key was taken over by a retry; retry later');
    }
    return { ran: text };
  });
  if ('ran' in outcome) {
    if (call.minimal) return minimalResponse(c, call.status);
    return c.body(outcome.ran, call.status as 200, { 'Content-Type': 'application/json' });
  }
  const found = outcome.found;
  if (found.request_hash !== hash) {
    throw new HttpError('UNPROCESSABLE_CONTENT', 'this Idempotency-Key was already used with a different request');
  }
  if (found.status === null || found.response === null) {
    throw new HttpError('CONFLICT', 'a request with this Idempotency-Key is still in progress; retry later', {
      'Retry-After': '1',
    });
  }
  if (call.minimal) return minimalResponse(c, found.status, { 'Idempotent-Replayed': 'true' });
  return c.body(found.response, found.status as 200, {
    'Content-Type': 'application/json',
    'Idempotent-Replayed': 'true',
  });
}
