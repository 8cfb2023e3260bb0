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
  llmFailures: Counter<'reason'>;
  unhandledErrors: Counter<'kind'>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
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
      help: 'Incident analyses by trigger and outcome',
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
    unhandledErrors: new Counter({
      name: 'warroom_unhandled_errors_total',
      help: 'Errors that reached the process last-resort handlers, by kind (rejection, exception)',
      labelNames: ['kind'],
      registers,
    }),
    llmFailures: new Counter({
      name: 'analysis_llm_failures_total',
      help: 'LLM refinements that failed and left the built-in analysis in place',
      labelNames: ['reason'],
      registers,
    }),
  };
}
