// When each incident is analysed: new incidents at once, bursts of ingest gathered and spaced by debounce and by what
// the last run cost, one run at a time per incident, a bounded number at once overall, and brand-new incidents shed
// under a backlog. It knows nothing of databases or analyzers: it calls `run` and keeps time.
import { Limiter, LimiterClosedError } from './limiter.js';

/** Why a background run was asked for: a new incident, new events, or a status change (the summary states it). */
export type ScheduledTrigger = 'create' | 'ingest' | 'status';
export type AnalysisTrigger = ScheduledTrigger | 'manual';

/**
 * Under a sustained burst an incident is re-analysed at most once per this many times its last run's duration
 * (and never more often than the debounce): a 10,000-event incident whose analysis takes 150 ms runs at most every
 * 7.5 s, so background analysis stays near 2% of a core however hard ingest pushes, while an outage makes the
 * server and the database busiest (docs/performance.md). When the burst ends, the pending run still comes, with
 * every event.
 */
export const COST_SPACING = 50;
/** A burst of ingest requests right after a quiet spell is gathered for this long before the first run. */
export const GATHER_MS = 100;
/**
 * With this many analyses waiting, analyses of brand-new incidents are shed: they have no events yet, and their
 * first ingest schedules one anyway. Ingest and on-demand analyses are never shed.
 */
export const SHED_CREATE_ABOVE = 100;

/** The least time between the end of one run and the start of the next, for an incident whose last run took lastCost. */
export const spacingAfter = (lastCost: number, debounceMs: number): number =>
  Math.max(debounceMs, COST_SPACING * lastCost);

/** How long to wait before a scheduled run (ms): at once for a new incident, else spaced by debounce and by cost. */
export function delayBeforeRun(
  trigger: ScheduledTrigger,
  now: number,
  lastRun: number,
  lastCost: number,
  debounceMs: number,
): number {
  if (trigger === 'create') return 0;
  return Math.max(GATHER_MS, lastRun + spacingAfter(lastCost, debounceMs) - now);
}

export interface SchedulerOptions<T> {
  debounceMs: number;
  /** Analyses running at once across all incidents. */
  concurrency: number;
  /** One analysis; `costMs` is what spaces the next run of the same incident. */
  run(incidentId: string, trigger: AnalysisTrigger): Promise<{ value: T; costMs: number }>;
  /** A background run (not one someone waits for) failed. */
  onError(err: unknown, incidentId: string, trigger: AnalysisTrigger): void;
  /** A create-triggered run was shed under a backlog. */
  onShed(): void;
  /** How many runs wait for a free slot, each time that changes. */
  onBacklog(waiting: number): void;
  now?: () => number;
}

interface IncidentState {
  timer: NodeJS.Timeout | undefined;
  running: Promise<unknown> | undefined;
  /** Something happened while a run was under way (new events, a status change): run again, for it, when it ends. */
  dirty: ScheduledTrigger | undefined;
  lastRun: number;
  lastCost: number;
  /** Forgets this state once the spacing it holds has passed (it no longer changes any delay). */
  expiry: NodeJS.Timeout | undefined;
}

export class Scheduler<T> {
  private readonly state = new Map<string, IncidentState>();
  private readonly limiter: Limiter;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly opts: SchedulerOptions<T>) {
    this.limiter = new Limiter(opts.concurrency, opts.onBacklog);
    this.now = opts.now ?? Date.now;
  }

  /** Asks for a run soon; returns at once. Bursts are coalesced: at most one run per incident per spacing. */
  schedule(incidentId: string, trigger: ScheduledTrigger): void {
    if (this.closed) return;
    if (trigger === 'create' && this.limiter.waiting >= SHED_CREATE_ABOVE) {
      this.opts.onShed();
      return;
    }
    const st = this.stateOf(incidentId);
    if (st.running) {
      // A status change outranks events for the label: either way one run follows, and says why.
      if (st.dirty !== 'status') st.dirty = trigger === 'create' ? 'ingest' : trigger;
      return;
    }
    if (st.timer) return;
    const wait = delayBeforeRun(trigger, this.now(), st.lastRun, st.lastCost, this.opts.debounceMs);
    st.timer = setTimeout(() => {
      st.timer = undefined;
      this.runTracked(incidentId, trigger).catch(() => undefined);
    }, wait);
  }

  /** Runs now, ahead of background runs, after any run of the same incident under way; rejects with its error. */
  async runNow(incidentId: string): Promise<T> {
    const st = this.stateOf(incidentId);
    while (st.running) await st.running.catch(() => undefined);
    // This run covers whatever a pending background run would have seen.
    if (st.timer) {
      clearTimeout(st.timer);
      st.timer = undefined;
    }
    return this.runTracked(incidentId, 'manual');
  }

  /** Stops scheduling, drops runs still waiting for a slot, and waits for the runs under way. */
  async close(): Promise<void> {
    this.closed = true;
    this.limiter.close();
    for (const st of this.state.values()) {
      if (st.timer) clearTimeout(st.timer);
      if (st.expiry) clearTimeout(st.expiry);
    }
    await Promise.all([...this.state.values()].map((st) => st.running?.catch(() => undefined)));
  }

  /** Incidents the scheduler holds state for (for tests: it must not grow without bound). */
  get tracked(): number {
    return this.state.size;
  }

  private stateOf(incidentId: string): IncidentState {
    let st = this.state.get(incidentId);
    if (!st) {
      st = { timer: undefined, running: undefined, dirty: undefined, lastRun: 0, lastCost: 0, expiry: undefined };
      this.state.set(incidentId, st);
    }
    return st;
  }

  private forgetLater(incidentId: string, st: IncidentState): void {
    if (st.expiry) clearTimeout(st.expiry);
    if (this.closed) return;
    st.expiry = setTimeout(
      () => {
        st.expiry = undefined;
        if (!st.running && !st.timer && this.state.get(incidentId) === st) this.state.delete(incidentId);
      },
      spacingAfter(st.lastCost, this.opts.debounceMs),
    );
    // A pending forget must not hold the process open at shutdown.
    st.expiry.unref();
  }

  private async runTracked(incidentId: string, trigger: AnalysisTrigger): Promise<T> {
    const st = this.stateOf(incidentId);
    st.dirty = undefined;
    const run = this.limiter.run(
      async () => {
        const { value, costMs } = await this.opts.run(incidentId, trigger);
        st.lastCost = costMs;
        return value;
      },
      { urgent: trigger === 'manual' },
    );
    st.running = run;
    try {
      return await run;
    } catch (err) {
      // A run dropped at shutdown is not a failure worth a log line per incident.
      if (!(err instanceof LimiterClosedError)) this.opts.onError(err, incidentId, trigger);
      throw err;
    } finally {
      st.running = undefined;
      st.lastRun = this.now();
      if (st.dirty && !this.closed) this.schedule(incidentId, st.dirty);
      // The state is kept while its spacing still applies: forgetting it at once would let the next ingest after a
      // quiet moment start a run 100 ms later, whatever the debounce and however long the last run took.
      this.forgetLater(incidentId, st);
    }
  }
}
