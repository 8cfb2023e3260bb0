// What a procedure announces from inside an idempotent request's transaction waits for that transaction to commit.
import type { AnalysisScheduler } from '../analysis/runtime/service.js';
import type { ChangeSink } from '../domain/changes.js';

/**
 * Holds a procedure's announcements (changes published to rooms and feeds, analyses scheduled) while it runs inside
 * a transaction, and makes them only once that transaction has committed (`flush`); if it rolls back they are never
 * made. Announced at once, an analysis could read the new incident before other connections can see it ("incident
 * not found", the analysis lost), and a subscriber could hear of writes that are then rolled back (a 409 or 503).
 * `analyze` (an analysis run and awaited by the caller) is refused: awaited inside the transaction, it would hold the
 * transaction's connection for as long as the analysis and an LLM take (up to 75 s), and storing its result needs a
 * second connection from the same pool. No idempotent procedure calls it; one that did would fail its tests at once.
 */
export class AfterCommit {
  private readonly pending: Array<() => void> = [];

  constructor(
    private readonly sink: ChangeSink,
    private readonly scheduler: AnalysisScheduler,
  ) {}

  /** A ChangeSink that holds each change until flush(). */
  readonly changes: ChangeSink = {
    publish: (change) => {
      this.pending.push(() => this.sink.publish(change));
    },
  };

  /** An AnalysisScheduler whose schedule() waits for flush(). */
  readonly analysis: AnalysisScheduler = {
    schedule: (incidentId, trigger) => {
      this.pending.push(() => this.scheduler.schedule(incidentId, trigger));
    },
    analyze: (incidentId) =>
      Promise.reject(
        new Error(`analysis of incident ${incidentId} asked for inside an idempotent request's transaction`),
      ),
  };

  /** Makes the held announcements, in the order they were made; call once the transaction has committed. */
  flush(): void {
    for (const announce of this.pending.splice(0)) announce();
  }
}
