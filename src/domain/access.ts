// Who may do what: the AUTH policy, resolving a presented key (or room ticket) to a principal, and the one scope
// check every transport asks. Knows no HTTP: the transport hands it the bearer token it read.
import type { Kysely } from 'kysely';
import type { Scope } from '../../schema/index.js';
import { anyApiKey, insertRoomTicket, redeemRoomTicket, touchApiKeys } from '../db/keys.js';
import type { Database } from '../db/types.js';
import { AppError } from './errors.js';
import { grants, liveKey, newSecret, sha256, verifyKey, type KeyRefusal, type Principal } from './keys.js';

/** auto: open while no key exists (and only on loopback, checked at start); required: always; off: never. */
export type AuthPolicy = 'auto' | 'required' | 'off';

/** What one request may do: who it is (if anyone), and whether keys are enforced at all. */
export interface Access {
  enforced: boolean;
  principal?: Principal;
  /** Why there is no principal on an enforced server. */
  refusal?: KeyRefusal | 'missing';
}

/** A room ticket lives this long, and works once. */
export const TICKET_TTL_MS = 60_000;
/** While no key is known to exist, the database is asked again at most this often (another instance may add one). */
const NO_KEYS_RECHECK_MS = 1000;
/** Last-used times are written in one batch this often, not on every request. */
const TOUCH_INTERVAL_MS = 10_000;

const REFUSALS: Record<KeyRefusal | 'missing', string> = {
  missing: 'an API key is required: send `Authorization: Bearer <key>`',
  unknown: 'the API key is not valid',
  revoked: 'the API key has been revoked',
  expired: 'the API key has expired',
};

/** The 401 for an enforced request without a usable key. */
export const unauthenticated = (refusal: KeyRefusal | 'missing' = 'missing'): AppError =>
  new AppError('UNAUTHENTICATED', REFUSALS[refusal]);

/**
 * The one scope check, for REST, tRPC and rooms alike: open servers let everything through; enforced ones need a
 * principal (401) holding `scope` (403 naming it).
 */
export function checkScope(access: Access, scope: Scope): void {
  if (!access.enforced) return;
  if (!access.principal) throw unauthenticated(access.refusal);
  if (!grants(access.principal.scopes, scope))
    throw new AppError(
      'FORBIDDEN',
      `this operation needs the \`${scope}\` scope; the key ${access.principal.name} lacks it`,
      undefined,
      {
        scope,
      },
    );
}

/**
 * Resolves keys and tickets for one instance. Nothing about a key is cached: each request looks its key up (one
 * unique-index read), so a key revoked or expired anywhere stops working at its next request on every instance.
 */
export class Authenticator {
  /** True once a key is known to exist: keys are never deleted (revoked ones stay), so it never turns false. */
  private keysExist = false;
  private checkedAt = -Infinity;
  private readonly used = new Map<string, Date>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    readonly policy: AuthPolicy,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.timer = setInterval(() => void this.flush(), TOUCH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Whether requests need a key now. */
  async enforced(): Promise<boolean> {
    if (this.policy !== 'auto') return this.policy === 'required';
    if (this.keysExist) return true;
    const now = performance.now();
    if (now - this.checkedAt >= NO_KEYS_RECHECK_MS) {
      this.keysExist = await anyApiKey(this.db);
      this.checkedAt = now;
    }
    return this.keysExist;
  }

  /** A key was created (here or, say, by the CLI): enforce from the next request on, without waiting to recheck. */
  keysChanged(): void {
    this.checkedAt = -Infinity;
  }

  /** The access of a request presenting `token` (the bearer token; undefined when none was sent). */
  async resolve(token: string | undefined): Promise<Access> {
    if (this.policy === 'off') return { enforced: false };
    if (token === undefined) {
      return (await this.enforced()) ? { enforced: true, refusal: 'missing' } : { enforced: false };
    }
    const found = await verifyKey(this.db, token);
    if (typeof found === 'string') {
      // A key nobody issued, on a server with no keys, changes nothing: it stays open.
      return (await this.enforced()) ? { enforced: true, refusal: found } : { enforced: false };
    }
    this.keysExist = true;
    this.used.set(found.id, new Date());
    return { enforced: true, principal: found };
  }

  /** A single-use ticket for a browser to open a room socket as `principal` (the key never goes into a URL). */
  async issueTicket(principal: Principal, now = new Date()): Promise<{ ticket: string; expires_at: string }> {
    const ticket = newSecret('wrt_');
    const expires = new Date(now.getTime() + TICKET_TTL_MS);
    await insertRoomTicket(this.db, sha256(ticket), principal.id, expires);
    return { ticket, expires_at: expires.toISOString() };
  }

  /** The access a ticket gives: used up by this call; unknown, used or expired tickets and dead keys get a 401. */
  async redeemTicket(ticket: string): Promise<Access> {
    const row = await redeemRoomTicket(this.db, sha256(ticket));
    const live = row ? liveKey(row, new Date()) : 'unknown';
    if (typeof live === 'string')
      throw new AppError('UNAUTHENTICATED', `the room ticket is ${row ? live : 'unknown, used or expired'}`);
    this.used.set(live.id, new Date());
    return { enforced: true, principal: live };
  }

  /** Writes the last-used times gathered since the previous flush. */
  async flush(): Promise<void> {
    if (this.used.size === 0) return;
    const batch = new Map(this.used);
    this.used.clear();
    await touchApiKeys(this.db, batch).catch(this.onError);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
