// The analysis service procedures talk to: schedules runs (scheduler.ts), reads and analyses (runner.ts), lets an LLM
// refine the result (refiner.ts), stores it (store.ts) and announces what changed.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Incident } from '../../../schema/index.js';
import { pastIncidents } from '../../db/analysis.js';
import { toAction, toIncident, toTimelineEntry } from '../../db/rows.js';
import { findIncident } from '../../db/incidents.js';
import type { Database, IncidentRow } from '../../db/types.js';
import { AppError } from '../../domain/errors.js';
import type { Change, ChangeSink } from '../../domain/changes.js';
import type { Metrics } from '../../metrics.js';
import type { AnalysisResult, PastIncident } from '../types.js';
import { toPastIncident } from './input.js';
import type { Refiner } from './refiner.js';
import type { AnalysisRunner } from './runner.js';
import { Scheduler, type AnalysisTrigger } from './scheduler.js';
import { storeAnalysis } from './store.js';
import { isDatabaseUnavailable } from '../../db/errors.js';
import { LogSampler, logRefusal } from '../../log-sampler.js';

/** What procedures need of analysis. */
export interface AnalysisScheduler {
  /** Asks for an analysis soon; returns at once. Bursts are coalesced: at most one run per incident per debounce. */
  schedule(incidentId: string, trigger: 'create' | 'ingest'): void;
  /** Analyses now and returns the updated incident; rejects with NOT_FOUND for an unknown incident. */
  analyze(incidentId: string): Promise<Incident>;
}

export interface AnalysisServiceOptions {
  db: Kysely<Database>;
  changes: ChangeSink;
  logger: Logger;
  metrics: Metrics;
  debounceMs: number;
  /** Analyses running at once across all incidents (default 1: the analyzer is CPU-bound). */
  concurrency?: number;
  refine?: Refiner | undefined;
  runner: AnalysisRunner;
}

/** Past incidents change slowly; similarity search reuses one read of them for this long. */
const PAST_CACHE_MS = 30_000;

export class AnalysisService implements AnalysisScheduler, ChangeSink {
  private readonly scheduler: Scheduler<Incident>;
  /** The cached past incidents, and each one's root cause by id once the read has answered. */
  private past:
    { at: number; rows: Promise<PastIncident[]>; rootCauses?: ReadonlyMap<string, string | null> } | undefined;

  constructor(private readonly opts: AnalysisServiceOptions) {
    const { metrics, logger } = opts;
    const unavailable = new LogSampler();
    this.scheduler = new Scheduler<Incident>({
      debounceMs: opts.debounceMs,
      concurrency: opts.concurrency ?? 1,
      run: (incidentId, trigger) => this.run(incidentId, trigger),
      onError(err, incidentId, trigger) {
        metrics.analysisRuns.inc({ trigger, outcome: 'error' });
        if (trigger === 'manual') return;
        // The database away fails every analysis alike: one line a second, not one each; an error when only an
        // operator can mend it (grants, a read-only database), else a warning. The worker thread reports the
        // database away as AppError UNAVAILABLE, its SQLSTATE in `cause` (worker.ts).
        const away = isDatabaseUnavailable(err) || (err instanceof AppError && err.code === 'UNAVAILABLE');
        if (!away) {
          logger.error({ err, incident_id: incidentId, trigger }, 'analysis failed');
          return;
        }
        logRefusal(
          unavailable,
          logger,
          err,
          { incident_id: incidentId, trigger },
          {
            away: 'analysis failed: the database is unavailable',
            operator: 'analysis failed: the database refuses it until an operator acts',
          },
        );
      },
      onShed: () => metrics.analysisRuns.inc({ trigger: 'create', outcome: 'shed' }),
      onBacklog: (n) => metrics.analysisWaiting.set(n),
    });
  }

  /**
   * ChangeSink: a finished action changes what similar incidents would suggest, so the cached corpus is stale; a
   * status change makes the stored summary wrong ("the incident is open" after it was resolved, "so far" after it
   * ended), so the incident is analysed again, debounced like ingest. Only the instance that made the change hears it
   * here, so one run follows one change. The run adds a timeline entry only if the conclusion changed.
   */
  publish(change: Change): void {
    if (change.type === 'action.updated') this.past = undefined;
    if (change.type === 'timeline.created' && change.entry.entry_type === 'status_change') {
      this.scheduler.schedule(change.incident_id, 'status');
    }
  }

  /**
   * Hears of incident changes on every instance (`hub.watchIncidentChanges`; other instances' come through the
   * database) and drops the cached past incidents when one got a root cause other than the one cached, or changed in a
   * frame too large to read here: an analysis stored on another instance changes the corpus as much as one stored
   * here. Without it each instance kept its own corpus for up to PAST_CACHE_MS, and the same incident got another
   * similar incident, and root cause, depending on which instance analysed it (a review of several instances on one
   * PostgreSQL). Returns the function that stops listening.
   */
  watchIncidents(hub: {
    watchIncidentChanges(listener: (incidentId: string, incident: Incident | undefined) => void): () => void;
  }): () => void {
    return hub.watchIncidentChanges((incidentId, incident) => {
      if (incident && (incident.root_cause === null || this.past?.rootCauses?.get(incidentId) === incident.root_cause))
        return;
      this.past = undefined;
    });
  }

  schedule(incidentId: string, trigger: 'create' | 'ingest'): void {
    this.scheduler.schedule(incidentId, trigger);
  }

  analyze(incidentId: string): Promise<Incident> {
    return this.scheduler.runNow(incidentId);
  }

  /** Stops scheduling, waits for runs under way, then stops the runner, so the database can close under no one. */
  async close(): Promise<void> {
    await this.scheduler.close();
    await this.opts.runner.close();
  }

  /**
   * One analysis. `costMs` is what spaces the next run: reading, analysing and storing, but not the wait for an LLM
   * (network, not load) nor a worker thread's start-up.
   */
  private async run(incidentId: string, trigger: AnalysisTrigger): Promise<{ value: Incident; costMs: number }> {
    const { metrics, refine, runner, changes } = this.opts;
    const started = performance.now();
    const past = (await this.pastIncidents()).filter((p) => p.id !== incidentId);
    const analysed = await runner.analyze(incidentId, past, refine !== undefined);
    const { input } = analysed;
    let { result, workMs } = analysed;
    if (refine && input) {
      const refined = await refine(input, result);
      if (refined.ok) result = refined.result;
      else {
        metrics.llmFailures.inc({ reason: refined.reason });
        this.opts.logger.warn(
          { incident_id: incidentId, reason: refined.reason, detail: refined.detail },
          'LLM refinement failed; built-in analysis kept',
        );
      }
    }
    if (trigger === 'create' && nothingToSay(result)) {
      // A new incident with no events, whose title and description match no failure pattern and no similar past
      // incident: storing "no known failure pattern" would cost a transaction and a timeline entry for nothing. Its
      // first events are analysed as usual.
      metrics.analysisRuns.inc({ trigger, outcome: 'skipped' });
      const row = input?.incident ?? toIncident(await this.loadIncident(incidentId));
      return { value: row, costMs: workMs };
    }
    if (trigger !== 'create' && analysed.eventCount === 0) {
      // No events, yet a stored analysis drawn from events (it has their templates): EVENT_RETENTION_DAYS dropped
      // them. Incidents keep what was concluded from events that are gone; an analysis of nothing never replaces it.
      const row = await this.loadIncident(incidentId);
      if (row.analysis_templates.length > 0) {
        metrics.analysisRuns.inc({ trigger, outcome: 'kept' });
        return { value: toIncident(row), costMs: workMs };
      }
    }
    const storing = performance.now();
    const stored = await storeAnalysis(this.opts.db, incidentId, trigger, result);
    workMs += performance.now() - storing;
    // This incident's conclusion may now make it a similar incident for others.
    this.past = undefined;
    const incident = toIncident(stored.incident);
    changes.publish({ type: 'incident.updated', incident_id: incidentId, incident });
    if (stored.entry)
      changes.publish({ type: 'timeline.created', incident_id: incidentId, entry: toTimelineEntry(stored.entry) });
    for (const a of stored.created)
      changes.publish({ type: 'action.created', incident_id: incidentId, action: toAction(a) });
    for (const a of stored.updated)
      changes.publish({ type: 'action.updated', incident_id: incidentId, action: toAction(a) });
    for (const id of stored.removed)
      changes.publish({ type: 'action.deleted', incident_id: incidentId, action_id: id });
    metrics.analysisRuns.inc({ trigger, outcome: 'ok' });
    metrics.analysisSeconds.observe((performance.now() - started) / 1000);
    return { value: incident, costMs: workMs };
  }

  private async loadIncident(id: string): Promise<IncidentRow> {
    const row = await findIncident(this.opts.db, id);
    if (!row) throw new AppError('NOT_FOUND', `incident ${id} not found`);
    return row;
  }

  private pastIncidents(): Promise<PastIncident[]> {
    const now = Date.now();
    if (!this.past || now - this.past.at > PAST_CACHE_MS) {
      const rows = pastIncidents(this.opts.db).then((r) => r.map(toPastIncident));
      const past: NonNullable<typeof this.past> = { at: now, rows };
      this.past = past;
      rows.then(
        (list) => {
          past.rootCauses = new Map(list.map((p) => [p.id, p.root_cause]));
        },
        // A failed read is not cached.
        () => {
          if (this.past === past) this.past = undefined;
        },
      );
    }
    return this.past.rows;
  }
}

/** An analysis that found nothing: no category, no similar incident, no events as evidence. */
export function nothingToSay(result: AnalysisResult): boolean {
  return result.category === null && result.similar.length === 0 && result.evidence.event_ids.length === 0;
}
