// Incident creates that arrive together are written together: one statement for all of them.
import type { Kysely } from 'kysely';
import { INSERT_QUEUE_TIMEOUT_MESSAGE, isDatabaseUnavailable, lostInFlight } from './errors.js';
import {
  findInsertedIncidents,
  incidentRowJson,
  insertIncidentsWithEntries,
  type IncidentInsert,
  type IncidentRowJson,
  type InsertedIncident,
} from './incidents.js';
import { CONNECT_TIMEOUT_MS } from './postgres.js';
import type { Database } from './types.js';

interface Waiting {
  row: IncidentRowJson;
  /** When it was queued (performance.now(), ms). */
  since: number;
  /** Goes in a statement of its own: its statement with others failed, and this finds out whether it was the cause. */
  alone: boolean;
  resolve(inserted: InsertedIncident): void;
  reject(err: unknown): void;
}

/** How much the queue sends at once, and how long a create may wait for its turn. */
export interface InsertQueueLimits {
  /** Statements in flight at most; creates arriving while that many are running wait for the next one. */
  statements: number;
  /** Incidents per statement at most. */
  rows: number;
  /**
   * Characters of JSON per statement at most (a create larger than this goes alone): a statement's time grows with
   * its size, and one statement must stay far inside the statement timeout (a 1 MB create takes ~40 ms to insert).
   */
  chars: number;
  /** A create still queued after this long (ms) fails as unavailable (503), like a request that found no connection. */
  maxWaitMs: number;
}

export const DEFAULT_INSERT_QUEUE_LIMITS: InsertQueueLimits = {
  // Two: while one statement commits the next is already being sent. One and four measured lower
  // (docs/performance.md, 2026-11-30, 13:55).
  statements: 2,
  rows: 100,
  chars: 1_000_000,
  maxWaitMs: CONNECT_TIMEOUT_MS,
};

/**
 * Coalesces concurrent incident creates into one insert statement (what databases call group commit, done by the
 * client): a create is sent at once while fewer than `limits.statements` inserts are running, so a lone create waits
 * for nothing; creates arriving while they run queue, and the next statement takes them all (up to `limits.rows`
 * and `limits.chars`). Under a flood of creates, one statement, one round trip and one commit serve tens of
 * requests: PostgreSQL parses, plans, locks and flushes its WAL once per statement, not once per incident
 * (docs/performance.md). It also keeps a flood of creates to two of the pool's connections.
 *
 * Each create still gets its own answer:
 * - a statement refused for a reason other than the database being away is all or nothing, so its creates go again,
 *   each in a statement of its own (through the queue, so still two at a time): only one the database refuses fails;
 * - the database away (isDatabaseUnavailable) fails every create of the statement the same way (503); when the
 *   connection was lost while the statement ran (lostInFlight), it may have committed, so the incidents are looked
 *   up by their ids (made here) and those that exist are answered as created rather than invite a duplicate retry;
 * - a create that waited `limits.maxWaitMs` without being sent fails as unavailable.
 * Only for writes outside a transaction: a create inside one (an idempotent request) must commit with that
 * transaction, so it is inserted in it directly.
 */
export class IncidentInsertQueue {
  private readonly waiting: Waiting[] = [];
  private running = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly limits: InsertQueueLimits = DEFAULT_INSERT_QUEUE_LIMITS,
  ) {}

  /** Inserts the incident and its "Incident created" timeline entry; rejects with the database's error. */
  insert(row: IncidentInsert): Promise<InsertedIncident> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ row: incidentRowJson(row), since: performance.now(), alone: false, resolve, reject });
      this.expire();
      if (this.running < this.limits.statements) this.send();
    });
  }

  /** Fails the creates that have waited too long (the oldest are first). */
  private expire(): void {
    const now = performance.now();
    while (this.waiting.length > 0 && now - (this.waiting[0]?.since ?? now) > this.limits.maxWaitMs) {
      this.waiting.shift()?.reject(new Error(INSERT_QUEUE_TIMEOUT_MESSAGE));
    }
  }

  private send(): void {
    this.expire();
    const batch = this.take();
    if (batch.length === 0) return;
    this.running++;
    void this.write(batch).finally(() => {
      this.running--;
      this.send();
    });
  }

  /** The next statement's creates: one that must go alone, or as many as the limits allow (at least one). */
  private take(): Waiting[] {
    const first = this.waiting[0];
    if (!first || first.alone) return this.waiting.splice(0, 1);
    let n = 1;
    let chars = first.row.json.length;
    for (; n < this.waiting.length && n < this.limits.rows; n++) {
      const next = this.waiting[n];
      if (!next || next.alone) break;
      chars += next.row.json.length + 1;
      if (chars > this.limits.chars) break;
    }
    return this.waiting.splice(0, n);
  }

  /** Settles every create of `batch`, or puts them back to go alone; never rejects. */
  private async write(batch: Waiting[]): Promise<void> {
    try {
      const inserted = await insertIncidentsWithEntries(
        this.db,
        batch.map((w) => w.row),
      );
      batch.forEach((w, k) => {
        const one = inserted[k];
        if (one) w.resolve(one);
        else w.reject(new Error('insert returned no row'));
      });
    } catch (err) {
      if (lostInFlight(err)) return this.settleInDoubt(batch, err);
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      // Nothing was written. Each again on its own, ahead of later creates, with the same id and row.
      for (const w of batch) w.alone = true;
      this.waiting.unshift(...batch);
    }
  }

  /** The connection was lost during the statement: those of `batch` that were written are created, the rest fail. */
  private async settleInDoubt(batch: Waiting[], err: unknown): Promise<void> {
    let found: Map<string, InsertedIncident>;
    try {
      found = await findInsertedIncidents(
        this.db,
        batch.map((w) => w.row.id),
      );
    } catch {
      found = new Map();
    }
    for (const w of batch) {
      const one = found.get(w.row.id);
      if (one) w.resolve(one);
      else w.reject(err);
    }
  }
}
