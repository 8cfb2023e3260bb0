// Runs the real Prometheus Alertmanager (Debian's prometheus-alertmanager 0.25) as a child process for integration
// tests: a config in a fresh temp dir, free ports, clustering off, and a helper that posts alerts to its API v2.
//
// Alertmanager behaviour the tests rely on (checked against 0.25.0 with test/e2e/alertmanager-harness.test.ts):
// - Durations: group_wait, group_interval and repeat_interval take any Go duration ("1s", even "100ms"); only zero is
//   rejected ("group_interval cannot be zero"). Unknown config keys are rejected, so a typo fails startup loudly.
// - A new alert group is sent group_wait after its first alert arrives (measured: 1.00-1.03 s with group_wait 1s).
//   Exception: an alert whose startsAt is already more than group_wait in the past is sent at once (measured 5-20 ms),
//   so a test that measures group_wait must post startsAt = now (or omit it).
// - A resolved alert is an alert posted again with endsAt in the past. It is not sent at once: the group is flushed
//   on a ticker every group_interval after its first flush, so the resolved notification arrives at the next tick,
//   at most one group_interval after the post (measured 0.93-0.98 s with group_interval 1s), provided send_resolved
//   is true on the receiver. The same ticker delays any later change to a group (a second alert, a re-fire).
// - resolve_timeout (global) only matters for alerts posted WITHOUT endsAt: Alertmanager then sets endsAt to
//   now + resolve_timeout and treats the alert as resolved when that passes without a re-post. Alerts posted with an
//   explicit endsAt (past or future) ignore it. Measured with resolve_timeout 2s: resolved notification 2.0 s after
//   the post (resolve_timeout, then up to one group_interval for the next tick).
// - Times in the payloads are Go RFC 3339 with trailing zeros trimmed (".350Z" comes back as ".35Z"): compare instants
//   (Date.parse), not strings.
// - The config is written as JSON: YAML 1.2 is a superset of JSON and Alertmanager's YAML parser reads it, so no
//   YAML library or hand-written escaping is needed (a label value or template with quotes or colons stays exact).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Where Debian's package installs the binary; upstream tarballs call it `alertmanager`. */
const DEBIAN_BIN = '/usr/bin/prometheus-alertmanager';

/** The install command the skip reasons point to. */
export const ALERTMANAGER_INSTALL_HINT = 'apt-get install -y prometheus-alertmanager';

/** A webhook receiver: Alertmanager POSTs its version "4" JSON payload to `url`. */
export interface WebhookReceiverSpec {
  name: string;
  webhook: {
    url: string;
    /** Sent as `Authorization: Bearer <token>` (config: http_config.authorization {type: Bearer, credentials}). */
    bearerToken?: string;
    /** Sent as HTTP basic auth (config: http_config.basic_auth {username, password}). */
    basicAuth?: { username: string; password: string };
    /** Default true: tests usually want the resolved notification too. */
    sendResolved?: boolean;
  };
}

/** A PagerDuty Events API v2 receiver, pointed at a local fake via `url` instead of events.pagerduty.com. */
export interface PagerDutyReceiverSpec {
  name: string;
  pagerduty: {
    /** Full URL of the enqueue endpoint, e.g. `http://127.0.0.1:PORT/v2/enqueue` (config key `url`). */
    url: string;
    routingKey: string;
    /** A Go template; default `{{ .CommonLabels.severity }}`. Alertmanager uses "error" only when this is empty. */
    severity?: string;
    /** A Go template for PagerDuty's `payload.group`, e.g. `{{ .GroupLabels.alertname }}` (Warroom groups by it). */
    group?: string;
    /** Default true. */
    sendResolved?: boolean;
  };
}

export type ReceiverSpec = WebhookReceiverSpec | PagerDutyReceiverSpec;

/** A child route of the root route. */
export interface RouteSpec {
  receiver: string;
  /** Alertmanager matcher strings, e.g. `['team="db"', 'severity=~"critical|page"']`. Empty matches everything. */
  matchers?: string[];
  /** Keep evaluating sibling routes after this one matched, so one alert can reach several receivers. */
  continue?: boolean;
}

/** Options for {@link startAlertmanager}. Durations are Go durations ("1s", "500ms", "5m"). */
export interface AlertmanagerOptions {
  receivers: ReceiverSpec[];
  route?: {
    /** Receiver of the root route (alerts no child route matches). Default: the first receiver. */
    receiver?: string;
    /** Default `['alertname']`. */
    groupBy?: string[];
    /** Default: one route per receiver, each with `continue: true`, so every receiver gets every alert. */
    routes?: RouteSpec[];
  };
  /** Default "1s" (Alertmanager's own default is 30s, too slow for tests). */
  groupWait?: string;
  /** Default "1s" (Alertmanager's own default is 5m). It also bounds how soon a resolved alert is sent. */
  groupInterval?: string;
  /** Default "1h", so a test never sees an unexpected repeat of a firing notification. */
  repeatInterval?: string;
  /** Default "5m". Applies only to alerts posted without endsAt. */
  resolveTimeout?: string;
  /**
   * Inhibition rules: while an alert matching every `source` matcher fires, alerts matching every `target` matcher
   * with equal values of the `equal` labels are muted. Matchers as in RouteSpec.
   */
  inhibitRules?: Array<{ source: string[]; target: string[]; equal: string[] }>;
  /** Alertmanager's --log.level; default "info". "debug" logs every notification attempt. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** An alert in the shape of Alertmanager's API v2 `postableAlert`. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  /** Default (when omitted): the time Alertmanager receives it. */
  startsAt?: Date | string;
  /** In the past: the alert is resolved. Omitted: it resolves after resolve_timeout unless posted again. */
  endsAt?: Date | string;
  generatorURL?: string;
}

/** A running Alertmanager started by {@link startAlertmanager}. */
export interface AlertmanagerProcess {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  child: ChildProcess;
  /** Temp dir holding the config and the storage (silences, notification log); removed by stop(). */
  dir: string;
  /** POSTs the alerts to `/api/v2/alerts`; throws with Alertmanager's answer unless it is 200. */
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  /**
   * POSTs a silence to `/api/v2/silences` (Alertmanager's own, not Warroom's): equality matchers on `labels`, from now
   * for `forMs`. Returns its id; throws with Alertmanager's answer unless it is 200.
   */
  postSilence(labels: Record<string, string>, forMs?: number): Promise<string>;
  /** Everything the process wrote to stdout and stderr so far (Alertmanager logs to stderr). */
  logs(): string;
  /** Sends SIGTERM (SIGKILL after 5 s), waits for the exit and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Path of the Alertmanager binary, or undefined when it is not installed (tests then skip): ALERTMANAGER_BIN when set
 * (an upstream tarball elsewhere; a path that does not exist shows the skip), else Debian's path, else `alertmanager`
 * on PATH.
 */
export function alertmanagerBinary(): string | undefined {
  const override = process.env.ALERTMANAGER_BIN;
  if (override) return isExecutable(override) ? override : undefined;
  if (isExecutable(DEBIAN_BIN)) return DEBIAN_BIN;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'alertmanager');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Alertmanager config as a plain object; written as JSON, which Alertmanager's YAML parser accepts. */
export function alertmanagerConfig(opts: AlertmanagerOptions): Record<string, unknown> {
  const first = opts.receivers[0];
  if (!first) throw new Error('startAlertmanager needs at least one receiver');
  const routes =
    opts.route?.routes ?? opts.receivers.map((r): RouteSpec => ({ receiver: r.name, matchers: [], continue: true }));
  return {
    global: { resolve_timeout: opts.resolveTimeout ?? '5m' },
    route: {
      receiver: opts.route?.receiver ?? first.name,
      group_by: opts.route?.groupBy ?? ['alertname'],
      group_wait: opts.groupWait ?? '1s',
      group_interval: opts.groupInterval ?? '1s',
      repeat_interval: opts.repeatInterval ?? '1h',
      routes: routes.map((r) => ({ receiver: r.receiver, matchers: r.matchers ?? [], continue: r.continue ?? false })),
    },
    receivers: opts.receivers.map(receiverConfig),
    inhibit_rules: (opts.inhibitRules ?? []).map((r) => ({
      source_matchers: r.source,
      target_matchers: r.target,
      equal: r.equal,
    })),
  };
}

function receiverConfig(r: ReceiverSpec): Record<string, unknown> {
  if ('webhook' in r) {
    const { url, bearerToken, basicAuth, sendResolved = true } = r.webhook;
    if (bearerToken !== undefined && basicAuth)
      throw new Error(`receiver ${r.name}: bearer token or basic auth, not both`);
    // 0.25 takes the Prometheus common HTTP client config; `authorization` replaces the older `bearer_token` key.
    const httpConfig: Record<string, unknown> = {};
    if (bearerToken !== undefined) httpConfig.authorization = { type: 'Bearer', credentials: bearerToken };
    if (basicAuth) httpConfig.basic_auth = { username: basicAuth.username, password: basicAuth.password };
    return { name: r.name, webhook_configs: [{ url, send_resolved: sendResolved, http_config: httpConfig }] };
  }
  const { url, routingKey, severity = '{{ .CommonLabels.severity }}', sendResolved = true, group } = r.pagerduty;
  // `routing_key` selects Events API v2 (`service_key` would select the v1 API and ignore `url`).
  return {
    name: r.name,
    pagerduty_configs: [
      {
        url,
        routing_key: routingKey,
        severity,
        send_resolved: sendResolved,
        ...(group === undefined ? {} : { group }),
      },
    ],
  };
}

/**
 * Starts Alertmanager with the given receivers and routes and resolves once `GET /-/ready` answers 200.
 * Call stop() in afterAll/afterEach: it ends the process and removes the temp dir.
 */
export async function startAlertmanager(opts: AlertmanagerOptions): Promise<AlertmanagerProcess> {
  const bin = alertmanagerBinary();
  if (!bin) throw new Error(`Alertmanager is not installed (${ALERTMANAGER_INSTALL_HINT})`);
  const config = JSON.stringify(alertmanagerConfig(opts), null, 2);
  // The free port is found by binding port 0 and closing it, so another process can take it before Alertmanager
  // binds it; that shows as an early exit, and a few attempts with fresh ports cover it.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-alertmanager-'));
    try {
      await writeFile(join(dir, 'alertmanager.yml'), config);
      return await launch(bin, dir, await freePort(), opts.logLevel ?? 'info');
    } catch (err) {
      lastError = err;
      await rm(dir, { recursive: true, force: true });
      if (!(err instanceof ExitedEarly) || !/address already in use/.test(err.logs)) throw err;
    }
  }
  throw lastError;
}

class ExitedEarly extends Error {
  constructor(
    message: string,
    readonly logs: string,
  ) {
    super(`${message}\n${logs}`);
  }
}

async function launch(bin: string, dir: string, port: number, logLevel: string): Promise<AlertmanagerProcess> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    bin,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Otherwise externalURL and PagerDuty's client_url are built from the machine's hostname (http://HOST:PORT).
      `--web.external-url=${url}`,
      // Empty disables HA mode; otherwise every instance binds 0.0.0.0:9094 and parallel tests collide.
      '--cluster.listen-address=',
      `--log.level=${logLevel}`,
    ],
    // The receivers are local fakes: keep a proxy set in the environment from intercepting 127.0.0.1.
    { env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' }, stdio: 'pipe' },
  );
  child.stdin.end();
  const output: string[] = [];
  child.stdout.on('data', (b: Buffer) => output.push(b.toString()));
  child.stderr.on('data', (b: Buffer) => output.push(b.toString()));
  const logs = () => output.join('');
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  // Also swallow spawn errors (ENOENT, EACCES) as an exit, so they reach the caller instead of crashing the worker.
  let spawnFailure = '';
  const spawnError = once(child, 'error').then(([err]: unknown[]) => {
    spawnFailure = err instanceof Error ? err.message : String(err);
  });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })());

  const deadline = Date.now() + 15_000;
  for (;;) {
    const done = await Promise.race([
      exited.then(() => 'exited' as const),
      spawnError.then(() => 'exited' as const),
      isReady(url).then((ok) => (ok ? ('ready' as const) : ('wait' as const))),
    ]);
    if (done === 'ready') break;
    if (done === 'exited' || child.exitCode !== null) {
      // Let the last stderr chunk arrive before reporting it.
      await new Promise((r) => setTimeout(r, 50));
      const why = spawnFailure || `code ${child.exitCode}`;
      throw new ExitedEarly(`Alertmanager ${bin} exited before it was ready (${why})`, logs());
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Alertmanager at ${url} not ready after 15 s\n${logs()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    child,
    dir,
    logs,
    stop,
    async postAlerts(alerts) {
      const body = alerts.map((a) => ({
        labels: a.labels,
        annotations: a.annotations ?? {},
        ...(a.startsAt !== undefined && { startsAt: isoTime(a.startsAt) }),
        ...(a.endsAt !== undefined && { endsAt: isoTime(a.endsAt) }),
        ...(a.generatorURL !== undefined && { generatorURL: a.generatorURL }),
      }));
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`POST /api/v2/alerts: ${res.status} ${text}`);
    },
    async postSilence(labels, forMs = 3_600_000) {
      const now = Date.now();
      const res = await fetch(`${url}/api/v2/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          matchers: Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
          startsAt: new Date(now - 1000).toISOString(),
          endsAt: new Date(now + forMs).toISOString(),
          createdBy: 'warroom tests',
          comment: 'test silence',
        }),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`POST /api/v2/silences: ${res.status} ${text}`);
      return (JSON.parse(text) as { silenceID: string }).silenceID;
    },
  };
}

function isoTime(t: Date | string): string {
  return t instanceof Date ? t.toISOString() : t;
}

/** True once the HTTP API answers /-/ready with 200; false while it is not listening yet. */
async function isReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port from listen(0)'));
      });
    });
  });
}
