// Idempotent POSTs (IETF httpapi "The Idempotency-Key HTTP Header Field" draft; Stripe's replay semantics): the
// first successful response to a key is stored in the same transaction as the request's writes, and a retry with
// the same key and body replays it instead of writing again, on any instance, after any restart.
import { createHash, randomUUID } from 'node:crypto';
import type { Context as HonoContext } from 'hono';
import type { Kysely } from 'kysely';
import { claimIdempotencyKey, finishIdempotencyKey, releaseIdempotencyKey } from '../db/idempotency.js';
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
  /** What identifies the request: the same key with another request is refused. */
  request: string;
  status: number;
  /** `Prefer: return=minimal` was asked for: success answers with no body (the full body is still stored). */
  minimal?: boolean;
  /** Runs the request's writes on `db` (a transaction); returns the response body. */
  run(db: Kysely<Database>): Promise<unknown>;
}

/**
 * Answers an idempotent request. The first one runs; its writes and its response commit together. A retry with
 * the same key and the same request replays the stored status and body (header `Idempotent-Replayed: true`); the
 * same key with another request is 422; a request still running with that key is 409. A request that fails stores
 * nothing (its claim is given back), so the sender may retry it with the same key.
 */
export async function answerIdempotent(c: HonoContext<AppEnv>, call: IdempotentCall): Promise<Response> {
  if (!KEY_SHAPE.test(call.key)) {
    throw new HttpError('BAD_REQUEST', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  const hash = createHash('sha256').update(call.request).digest('hex');
  const claim = randomUUID();
  const claimed = await claimIdempotencyKey(call.db, call.principal, call.key, hash, claim);
  if (claimed !== true) {
    if (claimed.request_hash !== hash) {
      throw new HttpError('UNPROCESSABLE_CONTENT', 'this Idempotency-Key was already used with a different request');
    }
    if (claimed.status === null || claimed.response === null) {
      throw new HttpError('CONFLICT', 'a request with this Idempotency-Key is still in progress; retry later', {
        'Retry-After': '1',
      });
    }
    if (call.minimal) return minimalResponse(c, claimed.status, { 'Idempotent-Replayed': 'true' });
    return c.body(claimed.response, claimed.status as 200, {
      'Content-Type': 'application/json',
      'Idempotent-Replayed': 'true',
    });
  }
  try {
    const body = await call.db.transaction().execute(async (tx) => {
      const text = JSON.stringify(await call.run(tx));
      // Not ours any more only if this request outlived ABANDONED_CLAIM_SECONDS and another took the key over.
      if (!(await finishIdempotencyKey(tx, call.principal, call.key, claim, call.status, text))) {
        throw new HttpError('CONFLICT', 'this Idempotency-Key was taken over by a retry; retry later');
      }
      return text;
    });
    if (call.minimal) return minimalResponse(c, call.status);
    return c.body(body, call.status as 200, { 'Content-Type': 'application/json' });
  } catch (err) {
    await releaseIdempotencyKey(call.db, call.principal, call.key, claim).catch(() => undefined);
    throw err;
  }
}
