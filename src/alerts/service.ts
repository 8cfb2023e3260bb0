// The alert pipeline as the app uses it: handle a delivery, log it, publish what changed, count it; and sweep on a
// timer (quiet periods, flapping, ended silences) on every instance.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AlertResult, Event, NormalizedAlert, TimelineEntry } from '../../schema/index.js';
import type { ChangeEvent } from '../integrations/index.js';
import { activeIncidentIds } from '../db/alerts.js';
import { insertEventsOfKnownIncidents, newEventId } from '../db/events.js';
import { toIncident, toTimelineEntry } from '../db/rows.js';
import { insertDelivery } from '../db/integrations.js';
import type { Database } from '../db/types.js';
import { publishChange, publishEvents, type ChangeSink } from '../domain/changes.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { LogSampler, logRefusal } from '../log-sampler.js';
import type { Metrics } from '../metrics.js';
import { receiveAlerts, type WorkDone } from './receive.js';
import { pruneAlertState, pruneDeliveryLog, RELEASE_RECHECK_MS, sweep } from './sweeper.js';
import type { IntegrationInfo } from './work.js';
import { cutText } from '../text-cut.js';

/** The raw payload kept per delivery, at most (the rest is cut, and the delivery says so). */
export const MAX_LOGGED_PAYLOAD = 64 * 1024;

export interface AlertServiceDeps {
  db: Kysely<Database>;
  changes: ChangeSink;
  /** Asks for an analysis of an incident whose events changed. */
  analyse(incidentId: string): void;
  metrics: Metrics;
  logger: Logger;
  /** How often to sweep, in ms (default 1000: quiet periods are honoured to about a second). */
  sweepIntervalMs?: number;
}

/** A delivery as received, for the log. */
export interface DeliveryRecord {
  path: string;
  status: number;
  body: string;
  error?: string | null;
  alerts?: AlertResult[];
}

export class AlertService {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private lastPrune = 0;
  private lastStatePrune = 0;
  private lastReleaseRecheck = 0;
  /** A sweep refused by the database is logged at most once a second (src/log-sampler.ts). */
  private readonly refusals = new LogSampler();

  constructor(private readonly deps: AlertServiceDeps) {}

  /**
   * Handles one delivery's parsed alerts; returns the per-alert results and the delivery's id. Throws what the
   * database throws (the caller answers 503 and the sender retries; the retry is deduplicated).
   */
  async receive(
    integration: IntegrationInfo,
    alerts: readonly NormalizedAlert[],
    record: Omit<DeliveryRecord, 'status' | 'alerts'>,
  ): Promise<{ deliveryId: string; results: AlertResult[] }> {
    const done = await receiveAlerts(this.deps.db, integration, alerts);
    this.publish(done);
    for (const r of done.results) {
      this.deps.metrics.alertsReceived.inc({
        integration: integration.name,
        kind: integration.kind,
        outcome: r.outcome,
      });
    }
    const deliveryId = await this.log(integration.id, { ...record, status: 202, alerts: done.results });
    return { deliveryId, results: done.results };
  }

  /**
   * Records a PagerDuty change event as a `log` event on each of the integration's active incidents (at most 20);
   * returns the delivery id and the incidents it went to.
   */
  async receiveChange(
    integration: IntegrationInfo,
    change: ChangeEvent,
    record: Omit<DeliveryRecord, 'status' | 'alerts'>,
  ): Promise<{ deliveryId: string; incidentIds: string[] }> {
    const incidentIds = await activeIncidentIds(this.deps.db, integration.id);
    const timestamp = change.timestamp ?? new Date().toISOString();
    const events: Event[] = incidentIds.map((incident_id) => ({
      id: newEventId(),
      incident_id,
      event_type: 'log',
      message: `CHANGE: ${change.summary}`,
      level: 'info',
      source: cutText(change.source, 200),
      metadata: { integration_id: integration.id, integration: integration.name, change: change.details },
      timestamp,
    }));
    const seqs = await insertEventsOfKnownIncidents(this.deps.db, events);
    if (events.length > 0) publishEvents(this.deps.changes, { events, seqs }, (id) => this.deps.analyse(id));
    const deliveryId = await this.log(integration.id, { ...record, status: 202 });
    return { deliveryId, incidentIds };
  }

  /**
   * Records a delivery in the integration's log. Best effort: the alerts are already stored, and the log is for
   * people asking why; a failure is logged here and the id is still returned.
   */
  async log(integrationId: string, d: DeliveryRecord): Promise<string> {
    const id = randomUUID();
    const bytes = Buffer.byteLength(d.body, 'utf8');
    const truncated = bytes > MAX_LOGGED_PAYLOAD;
    try {
      await insertDelivery(this.deps.db, {
        id,
        integration_id: integrationId,
        path: d.path,
        status: d.status,
        size_bytes: bytes,
        outcomes: d.alerts ?? [],
        error: d.error ?? null,
        payload: truncated ? Buffer.from(d.body, 'utf8').subarray(0, MAX_LOGGED_PAYLOAD).toString('utf8') : d.body,
        payload_truncated: truncated,
      });
    } catch (err) {
      this.deps.logger.warn({ err, integration_id: integrationId }, 'could not record an alert delivery');
    }
    return id;
  }

  /** Publishes committed alert work: incidents, their timeline entries, their events; asks for analyses. */
  publish(done: WorkDone): void {
    const timeline = new Map<string, TimelineEntry[]>();
    for (const row of done.timeline) {
      const entries = timeline.get(row.incident_id) ?? [];
      entries.push(toTimelineEntry(row));
      timeline.set(row.incident_id, entries);
    }
    for (const incident of done.incidents) {
      publishChange(this.deps.changes, { incident: toIncident(incident), timeline: timeline.get(incident.id) ?? [] });
    }
    if (done.events.length > 0) {
      publishEvents(this.deps.changes, { events: done.events, seqs: done.seqs }, (id) => this.deps.analyse(id));
    }
  }

  /** Starts sweeping every sweepIntervalMs (one sweep at a time; a failed sweep is logged and retried next tick). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweepOnce().finally(() => (this.sweeping = undefined));
    }, this.deps.sweepIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** One sweep now: what the timer runs. */
  async sweepOnce(now = new Date()): Promise<void> {
    try {
      const recheckSuppressed = now.getTime() - this.lastReleaseRecheck >= RELEASE_RECHECK_MS;
      if (recheckSuppressed) this.lastReleaseRecheck = now.getTime();
      const report = await sweep(this.deps.db, now, { recheckSuppressed });
      for (const done of report.done) this.publish(done);
      if (now.getTime() - this.lastPrune > 60_000) {
        this.lastPrune = now.getTime();
        await pruneDeliveryLog(this.deps.db);
      }
      // Hourly: finding old resolved alerts reads the table (an index on last_seen_at would cost every delivery).
      if (now.getTime() - this.lastStatePrune > 3_600_000) {
        this.lastStatePrune = now.getTime();
        const pruned = await pruneAlertState(this.deps.db, now);
        if (pruned.alerts + pruned.silences + pruned.groups > 0)
          this.deps.logger.info(pruned, 'pruned old resolved alerts, silences and alert groups');
      }
    } catch (err) {
      if (!isDatabaseUnavailable(err)) this.deps.logger.error({ err }, 'alert sweep failed');
      else
        logRefusal(
          this.refusals,
          this.deps.logger,
          err,
          {},
          {
            away: 'alert sweep skipped: database unavailable',
            operator: 'alert sweep skipped: the database refuses it until an operator acts',
          },
        );
    }
  }

  /** Stops the timer and waits for a running sweep. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }
}
