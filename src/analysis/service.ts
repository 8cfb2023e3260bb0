// Runs the analyzer for incidents: on create, debounced after ingest, and on demand; stores and announces results.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Incident } from '../../schema/index.js';
import { pastIncidents, storeAnalysisFields } from '../db/analysis.js';
import { findIncident } from '../db/incidents.js';
import { toAction, toIncident, toTimelineEntry } from '../db/rows.js';
import { insertTimelineEntry } from '../db/timeline.js';
import type { Database } from '../db/types.js';
import type { Change, ChangeSink } from '../domain/changes.js';
import { notFound } from '../domain/errors.js';
import { replaceSuggestions } from '../domain/suggestions.js';
import type { Metrics } from '../metrics.js';
import { analyzeIncident } from './analyzer.js';
import { categoryById } from './categories/index.js';
import { readAnalysisInput, toPastIncident } from './input.js';
import { Limiter } from './limiter.js';
import type { AnalysisInput, AnalysisResult, PastIncident } from './types.js';
import type { AnalysisWorker } from './worker-client.js';

export type AnalysisTrigger = 'create' | 'ingest' | 'manual';

export type RefineOutcome =
  | { ok: true; result: AnalysisResult }
  | { ok: false; reason: string; detail: string };
/** An optional second opinion (an LLM) that may improve the built-in result; on failure the built-in one stands. */
export type Refiner = (input: AnalysisInput, builtIn: AnalysisResult) => Promise<RefineOutcome>;

export interface AnalysisScheduler {
  /** Asks for an analysis soon; returns at once. Bursts are coalesced: at most one run per incident per debounce. */
  schedule(incidentId: string, trigger: 'create' | 'ingest'): void;
  /** Analyses now and returns the updated incident. */
  analyze(incidentId: string): Promise<Incident>;
}

export interface AnalysisServiceOptions {
  db: Kysely<Database>;
  changes: ChangeSink;
  logger: Logger;
  metrics: Metrics;
  debounceMs: number;
  /** Analyses running at once across all incidents (default 1: the analyzer is CPU-bound and shares the event loop). */
  concurrency?: number;
  refine?: Refiner | undefined;
  /**
   * Where the analyzer runs. With a worker (PostgreSQL), the worker thread reads the events over its own connection
   * and analyses them, so the request loop only stores the result. Without one (PGlite, whose database lives in this
   * thread and would have to copy every event across), it runs here.
   */
  worker?: AnalysisWorker | undefined;
}

interface IncidentState {
  timer: NodeJS.Timeout | undefined;
  running: Promise<unknown> | undefined;
  /** More events arrived while a run was under way: run again when it ends. */
  dirty: boolean;
  lastRun: number;
  /** What the last run cost (ms; see run()): an expensive incident is re-analysed less often (COST_SPACING). */
  lastCost: number;
  /** Forgets this state once the spacing it holds has passed (it no longer changes any delay). */
  expiry: NodeJS.Timeout | undefined;
}

/**
 * Under a sustained burst an incident is re-analysed at most once per this many times its last run's duration
 * (and never more often than the debounce): a 10,000-event incident whose analysis takes 150 ms runs at most every
 * 7.5 s, so background analysis stays near 2% of a core however hard ingest pushes. In-process (PGlite) each run
 * also blocks the event loop, stalling every request in flight; in the worker thread (PostgreSQL) it does not, but
 * it still takes CPU from the server and the database exactly when an outage makes them busiest (measured before
 * the worker: re-analysis every 2 s took 13% of batch throughput, README "Performance"). When the burst ends, the
 * pending run still comes, with every event.
 */
const COST_SPACING = 50;

/** A burst of ingest requests right after a quiet spell is gathered for this long before the first run. */
const GATHER_MS = 100;
/** Past incidents change slowly; similarity search reuses one read of them for this long. */
const PAST_CACHE_MS = 30_000;
/**
 * With this many analyses waiting, analyses of brand-new incidents are shed (counted as outcome "shed"): they have
 * no events yet, and their first ingest schedules one anyway. Ingest and on-demand analyses are never shed.
 */
const SHED_CREATE_ABOVE = 100;

const isMachineSuggester = (name: string): boolean => name.startsWith('warroom-analyzer') || name.startsWith('llm:');

/** How long to wait before a scheduled run: at once for a new incident, else spaced by debounce and by cost. */
export function delayBeforeRun(
  trigger: 'create' | 'ingest',
  now: number,
  lastRun: number,
  lastCost: number,
  debounceMs: number,
): number {
  if (trigger === 'create') return 0;
  return Math.max(GATHER_MS, lastRun + spacingAfter(lastCost, debounceMs) - now);
}

/** The least time between the end of one run and the start of the next, for an incident whose last run took lastCost. */
export const spacingAfter = (lastCost: number, debounceMs: number): number => Math.max(debounceMs, COST_SPACING * lastCost);

export class AnalysisService implements AnalysisScheduler, ChangeSink {
  private readonly state = new Map<string, IncidentState>();
  private readonly limiter: Limiter;
  private past: { at: number; rows: Promise<PastIncident[]> } | undefined;
  private closed = false;

  constructor(private readonly opts: AnalysisServiceOptions) {
    this.limiter = new Limiter(opts.concurrency ?? 1, (n) => opts.metrics.analysisWaiting.set(n));
  }

  /** ChangeSink: a finished action changes what similar incidents would suggest, so the cached corpus is stale. */
  publish(change: Change): void {
    if (change.type === 'action.updated') this.past = undefined;
  }

  schedule(incidentId: string, trigger: 'create' | 'ingest'): void {
    if (this.closed) return;
    if (trigger === 'create' && this.limiter.waiting >= SHED_CREATE_ABOVE) {
      this.opts.metrics.analysisRuns.inc({ trigger, outcome: 'shed' });
      return;
    }
    const st = this.stateOf(incidentId);
    if (st.running) {
      st.dirty = true;
      return;
    }
    if (st.timer) return;
    const wait = delayBeforeRun(trigger, Date.now(), st.lastRun, st.lastCost, this.opts.debounceMs);
    st.timer = setTimeout(() => {
      st.timer = undefined;
      this.runTracked(incidentId, trigger).catch(() => undefined);
    }, wait);
  }

  async analyze(incidentId: string): Promise<Incident> {
    const st = this.stateOf(incidentId);
    // One run at a time per incident: wait for a background run to end, then run with everything it missed.
    while (st.running) await st.running.catch(() => undefined);
    // This run covers whatever a pending background run would have seen.
    if (st.timer) {
      clearTimeout(st.timer);
      st.timer = undefined;
    }
    return this.runTracked(incidentId, 'manual');
  }

  /** Stops scheduling and waits for runs under way, so the database can close under no one. */
  async close(): Promise<void> {
    this.closed = true;
    for (const st of this.state.values()) {
      if (st.timer) clearTimeout(st.timer);
      if (st.expiry) clearTimeout(st.expiry);
    }
    await Promise.all([...this.state.values()].map((st) => st.running?.catch(() => undefined)));
    await this.opts.worker?.close();
  }

  private stateOf(incidentId: string): IncidentState {
    let st = this.state.get(incidentId);
    if (!st) {
      st = { timer: undefined, running: undefined, dirty: false, lastRun: 0, lastCost: 0, expiry: undefined };
      this.state.set(incidentId, st);
    }
    return st;
  }

  private forgetLater(incidentId: string, st: IncidentState): void {
    if (st.expiry) clearTimeout(st.expiry);
    if (this.closed) return;
    st.expiry = setTimeout(() => {
      st.expiry = undefined;
      if (!st.running && !st.timer && this.state.get(incidentId) === st) this.state.delete(incidentId);
    }, spacingAfter(st.lastCost, this.opts.debounceMs));
    // A pending forget must not hold the process open at shutdown.
    st.expiry.unref();
  }

  private async runTracked(incidentId: string, trigger: AnalysisTrigger): Promise<Incident> {
    const st = this.stateOf(incidentId);
    st.dirty = false;
    const run = this.limiter.run(
      async () => {
        const { incident, costMs } = await this.run(incidentId, trigger);
        st.lastCost = costMs;
        return incident;
      },
      { urgent: trigger === 'manual' },
    );
    st.running = run;
    try {
      return await run;
    } catch (err) {
      this.opts.metrics.analysisRuns.inc({ trigger, outcome: 'error' });
      if (trigger !== 'manual') this.opts.logger.error({ err, incident_id: incidentId, trigger }, 'analysis failed');
      throw err;
    } finally {
      st.running = undefined;
      st.lastRun = Date.now();
      if (st.dirty && !this.closed) this.schedule(incidentId, 'ingest');
      // The state is kept while its spacing still applies: forgetting it at once would let the next ingest after a
      // quiet moment start a run 100 ms later, whatever the debounce and however long the last run took.
      this.forgetLater(incidentId, st);
    }
  }

  /**
   * One analysis. `costMs` is what spaces the next run (COST_SPACING): reading, analysing and storing, but not the
   * wait for an LLM (network, not load) nor the worker thread's start-up (its first run also loads its modules).
   */
  private async run(incidentId: string, trigger: AnalysisTrigger): Promise<{ incident: Incident; costMs: number }> {
    const { db, metrics } = this.opts;
    const started = performance.now();
    const past = (await this.pastIncidents()).filter((p) => p.id !== incidentId);
    const { worker, refine } = this.opts;
    let input: AnalysisInput | undefined;
    let result: AnalysisResult;
    let costMs: number;
    if (worker) {
      let workMs: number;
      ({ input, result, workMs } = await worker.analyze(incidentId, past, refine !== undefined));
      costMs = workMs;
    } else {
      const t = performance.now();
      input = await readAnalysisInput(db, incidentId, past);
      result = analyzeIncident(input);
      costMs = performance.now() - t;
    }
    if (refine && input) {
      const refined = await refine(input, result);
      if (refined.ok) result = refined.result;
      else {
        metrics.llmFailures.inc({ reason: refined.reason });
        this.opts.logger.warn({ incident_id: incidentId, reason: refined.reason, detail: refined.detail }, 'LLM refinement failed; built-in analysis kept');
      }
    }
    const storing = performance.now();
    const incident = await this.store(incidentId, trigger, result);
    costMs += performance.now() - storing;
    metrics.analysisRuns.inc({ trigger, outcome: 'ok' });
    metrics.analysisSeconds.observe((performance.now() - started) / 1000);
    return { incident, costMs };
  }

  private pastIncidents(): Promise<PastIncident[]> {
    const now = Date.now();
    if (!this.past || now - this.past.at > PAST_CACHE_MS) {
      const rows = pastIncidents(this.opts.db).then((r) => r.map(toPastIncident));
      this.past = { at: now, rows };
      // A failed read is not cached.
      rows.catch(() => {
        if (this.past?.rows === rows) this.past = undefined;
      });
    }
    return this.past.rows;
  }

  private async store(incidentId: string, trigger: AnalysisTrigger, result: AnalysisResult): Promise<Incident> {
    const { changes } = this.opts;
    const out = await this.opts.db.transaction().execute(async (tx) => {
      // FOR UPDATE: two instances analysing the same incident write one after the other, never interleaved.
      const before = await findIncident(tx, incidentId, { forUpdate: true });
      if (!before) throw notFound('incident', incidentId);
      const concluded = before.root_cause !== result.root_cause || before.analysis_category !== result.category;
      const row = await storeAnalysisFields(tx, incidentId, {
        ai_summary: result.ai_summary,
        root_cause: result.root_cause,
        suggested_actions: result.suggested_actions,
        category: result.category,
        templates: result.evidence.templates.map((t) => t.template),
      });
      const actions = await replaceSuggestions(tx, incidentId, result.analyzer, result.actions, isMachineSuggester);
      // A new entry when the conclusion changes (or someone asked); re-runs that agree stay off the timeline.
      const entry =
        concluded || trigger !== 'ingest'
          ? await insertTimelineEntry(tx, {
              incident_id: incidentId,
              entry_type: 'ai_analysis',
              title: `Analysis: ${result.category ? (categoryById(result.category)?.title ?? result.category) : 'no known failure pattern'}`,
              description: `${result.root_cause}\n\n${result.ai_summary}`,
              actor: result.analyzer,
              metadata: {
                analyzer: result.analyzer,
                confidence: result.confidence,
                category: result.category,
                trigger,
                evidence: result.evidence,
                similar_incidents: result.similar,
              },
            })
          : undefined;
      return { row, entry, actions };
    });
    // This incident's conclusion may now make it a similar incident for others.
    this.past = undefined;
    const incident = toIncident(out.row);
    changes.publish({ type: 'incident.updated', incident_id: incidentId, incident });
    if (out.entry) changes.publish({ type: 'timeline.created', incident_id: incidentId, entry: toTimelineEntry(out.entry) });
    for (const a of out.actions.created) changes.publish({ type: 'action.created', incident_id: incidentId, action: toAction(a) });
    for (const a of out.actions.updated) changes.publish({ type: 'action.updated', incident_id: incidentId, action: toAction(a) });
    return incident;
  }
}

