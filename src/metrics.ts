// One prom-client Registry per app, passed in, never global: tests and several apps in one process stay apart.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  wsConnections: Gauge;
  wsMessages: Counter<'direction'>;
  broadcastSeconds: Histogram;
  analysisRuns: Counter<'trigger' | 'outcome'>;
  analysisSeconds: Histogram;
  analysisWaiting: Gauge;
  analysisWorkerHeap: Gauge;
  llmFailures: Counter<'reason'>;
  unhandledErrors: Counter<'kind'>;
  eventPartitionsDropped: Counter;
  alertsReceived: Counter<'integration' | 'kind' | 'outcome'>;
  incidentsCreated: Counter<'severity' | 'source'>;
  incidentsOpen: Gauge<'severity' | 'status'>;
  timeToAcknowledge: Histogram<'severity'>;
  timeToResolve: Histogram<'severity'>;
  /** Where `warroom_incidents_open` reads its counts at scrape time (set once the database is up). */
  setOpenIncidentsSource(source: OpenIncidentsSource): void;
}

/** Counts of unresolved incidents by severity and status, read from the database at scrape time. */
export type OpenIncidentsSource = () => Promise<Array<{ severity: string; status: string; count: number }>>;

/**
 * prom-client's default metrics that `promtool check metrics` refuses: gauges named `_total`, which Prometheus
 * reserves for counters. Their per-type siblings (`nodejs_active_handles{type}`, `nodejs_active_resources{type}`,
 * `nodejs_active_requests{type}`) carry the same counts and stay.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  }
  let openIncidents: OpenIncidentsSource | undefined;
  const lifecycleBuckets = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400, 259_200];
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  return {
    registry,
    httpDuration,
    // The histogram's _count already counts requests; this counter is filled from it at scrape time, so a request
    // costs one metric update, not two.
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const v of (await httpDuration.get()).values) {
          if (v.metricName === 'http_request_duration_seconds_count')
            this.inc(v.labels as Record<'method' | 'route' | 'status', string>, v.value);
        }
      },
    }),
    wsConnections: new Gauge({ name: 'ws_connections', help: 'Open WebSocket connections', registers }),
    wsMessages: new Counter({
      name: 'ws_messages_total',
      help: 'WebSocket frames by direction (in: from clients, out: to clients)',
      labelNames: ['direction'],
      registers,
    }),
    broadcastSeconds: new Histogram({
      name: 'ws_broadcast_fanout_seconds',
      help: 'Time to fan one frame out to every local socket in a room',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    analysisRuns: new Counter({
      name: 'analysis_runs_total',
      help: 'Incident analyses by trigger (create, ingest, status, manual) and outcome (ok, skipped, kept, error, shed)',
      labelNames: ['trigger', 'outcome'],
      registers,
    }),
    analysisSeconds: new Histogram({
      name: 'analysis_duration_seconds',
      help: 'Time to analyse one incident (load, analyse, store)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5],
      registers,
    }),
    analysisWaiting: new Gauge({
      name: 'analysis_waiting',
      help: 'Analyses waiting for a free slot (a backlog that does not drain means analysis cannot keep up)',
      registers,
    }),
    analysisWorkerHeap: new Gauge({
      name: 'warroom_analysis_worker_heap_bytes',
      help: "The analysis thread's V8 heap after its last analysis (bytes; 0 while no thread runs: before the first analysis, and after 5 idle minutes)",
      registers,
    }),
    eventPartitionsDropped: new Counter({
      name: 'warroom_event_partitions_dropped_total',
      help: 'Week partitions of events dropped because every event in them was older than EVENT_RETENTION_DAYS',
      registers,
    }),
    unhandledErrors: new Counter({
      name: 'warroom_unhandled_errors_total',
      help: 'Errors that reached the process last-resort handlers, by kind (rejection, exception)',
      labelNames: ['kind'],
      registers,
    }),
    alertsReceived: new Counter({
      name: 'warroom_alerts_received_total',
      help: 'Alerts received from monitoring senders, by integration name, kind and outcome (created, updated, duplicate, resolved, suppressed, pending)',
      labelNames: ['integration', 'kind', 'outcome'],
      registers,
    }),
    incidentsCreated: new Counter({
      name: 'warroom_incidents_created_total',
      help: 'Incidents created, by severity and source (through the API or by alerts)',
      labelNames: ['severity', 'source'],
      registers,
    }),
    incidentsOpen: new Gauge({
      name: 'warroom_incidents_open',
      help: 'Incidents not yet resolved or closed, by severity and status (read from the database at scrape time)',
      labelNames: ['severity', 'status'],
      registers,
      async collect() {
        if (!openIncidents) return;
        try {
          const rows = await openIncidents();
          this.reset();
          for (const r of rows) this.set({ severity: r.severity, status: r.status }, r.count);
        } catch {
          // The database is away: the scrape still answers, with this gauge's last values.
        }
      },
    }),
    timeToAcknowledge: new Histogram({
      name: 'warroom_incident_time_to_acknowledge_seconds',
      help: 'Seconds from an incident being opened to someone first moving it out of open, not the alerts (MTTA = sum / count), by severity',
      labelNames: ['severity'],
      buckets: lifecycleBuckets,
      registers,
    }),
    timeToResolve: new Histogram({
      name: 'warroom_incident_time_to_resolve_seconds',
      help: 'Seconds from an incident being opened to its resolution (MTTR = sum / count), by severity',
      labelNames: ['severity'],
      buckets: lifecycleBuckets,
      registers,
    }),
    setOpenIncidentsSource(source) {
      openIncidents = source;
    },
    llmFailures: new Counter({
      name: 'analysis_llm_failures_total',
      help: 'LLM refinements that failed and left the built-in analysis in place',
      labelNames: ['reason'],
      registers,
    }),
  };
}
