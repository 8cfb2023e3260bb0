// Incident creates that arrive together are written together: one statement for all of them.
import type { Kysely } from 'kysely';
import { isDatabaseUnavailable } from './errors.js';
import { insertIncidentsWithEntries, type IncidentInsert, type InsertedIncident } from './incidents.js';
import type { Database } from './types.js';

interface Waiting {
  row: IncidentInsert;
  resolve(inserted: InsertedIncident): void;
  reject(err: unknown): void;
}

/** How much the queue sends at once. */
export interface InsertQueueLimits {
  /** Statements in flight at most; creates arriving while that many are running wait for the next one. */
  statements: number;
  /** Incidents per statement at most. */
  rows: number;
}

/**
 * Coalesces concurrent incident creates into one insert statement (what databases call group commit, done by the
 * client): a create is sent at once while fewer than `limits.statements` inserts are running, so a lone create waits
 * for nothing; creates arriving while they run queue, and the next statement takes them all (up to `limits.rows`).
 * Under a flood of creates, one statement, one round trip and one commit then serve tens of requests: PostgreSQL
 * parses, plans, locks and flushes its WAL once per statement, not once per incident (docs/performance.md).
 *
 * Each create still gets its own answer. A statement is all or nothing, so when one fails for a reason other than
 * the database being away (isDatabaseUnavailable: every create in it then fails the same way, as 503), its creates
 * run again one by one, and only one the database refuses fails. Only for writes outside a transaction: a create
 * inside one (an idempotent request) must commit with that transaction, so it is inserted in it directly.
 */
export class IncidentInsertQueue {
  private readonly waiting: Waiting[] = [];
  private running = 0;

  constructor(
    private readonly db: Kysely<Database>,
    // Two statements: while one commits the next is being sent. Measured against one and four (docs/performance.md).
    private readonly limits: InsertQueueLimits = { statements: 2, rows: 100 },
  ) {}

  /** Inserts the incident and its "Incident created" timeline entry; rejects with the database's error. */
  insert(row: IncidentInsert): Promise<InsertedIncident> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ row, resolve, reject });
      if (this.running < this.limits.statements) this.send();
    });
  }

  private send(): void {
    const batch = this.waiting.splice(0, this.limits.rows);
    if (batch.length === 0) return;
    this.running++;
    void this.write(batch).finally(() => {
      this.running--;
      this.send();
    });
  }

  /** Settles every create of `batch`; never rejects. */
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
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      // Something in the batch was refused (nothing was written): each alone, so that only its own create fails.
      await Promise.all(
        batch.map(async (w) => {
          try {
            const [one] = await insertIncidentsWithEntries(this.db, [w.row]);
            if (one) w.resolve(one);
            else w.reject(new Error('insert returned no row'));
          } catch (e) {
            w.reject(e);
          }
        }),
      );
    }
  }
}
