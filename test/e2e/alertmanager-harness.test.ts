// The Alertmanager harness (test/e2e/alertmanager.ts) against the real binary: a local node:http server stands in for
// both a webhook endpoint and PagerDuty's Events API v2, and the test checks what Alertmanager 0.25 sends there.
// Set AM_HARNESS_TIMINGS=1 to print the delivery latencies.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALERTMANAGER_INSTALL_HINT,
  alertmanagerBinary,
  startAlertmanager,
  type AlertmanagerProcess,
} from './alertmanager.js';

const bin = alertmanagerBinary();

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  at: number;
}

/** The fake receiver: records every POST and answers 200 (PagerDuty answers 202; Alertmanager accepts any 2xx). */
async function startReceiver(): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
        at: Date.now(),
      });
      res.writeHead(req.url === '/v2/enqueue' ? 202 : 200, { 'content-type': 'application/json' });
      res.end('{"status":"success"}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('receiver has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls until `find` returns a value; Alertmanager delivers asynchronously, on its group timers. */
async function waitFor<T>(what: string, find: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function timing(label: string, ms: number): void {
  if (process.env.AM_HARNESS_TIMINGS) console.info(`[alertmanager] ${label}: ${ms} ms`);
}

interface WebhookAlert {
  status: string;
  startsAt: string;
  fingerprint: string;
  labels: Record<string, string>;
}

const alertsOf = (d: Delivery) => d.body.alerts as WebhookAlert[];

describe.skipIf(!bin)(
  `Alertmanager harness (prometheus-alertmanager not installed: ${ALERTMANAGER_INSTALL_HINT})`,
  () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let am: AlertmanagerProcess;
    const TOKEN = 'test-token-7f3a';
    const alert = {
      labels: { alertname: 'WarroomHarnessDown', severity: 'critical', service: 'api' },
      annotations: { summary: 'API is down', description: 'no answer from /health' },
      generatorURL: 'http://prometheus.example/graph?g0.expr=up%3D%3D0',
    };
    let fingerprint = '';
    let dedupKey = '';

    beforeAll(async () => {
      receiver = await startReceiver();
      am = await startAlertmanager({
        receivers: [
          { name: 'hook-bearer', webhook: { url: `${receiver.url}/hook/bearer`, bearerToken: TOKEN } },
          {
            name: 'hook-basic',
            webhook: { url: `${receiver.url}/hook/basic`, basicAuth: { username: 'am', password: 'pw' } },
          },
          { name: 'pd', pagerduty: { url: `${receiver.url}/v2/enqueue`, routingKey: 'rk-123' } },
        ],
        // No routes given: one child route per receiver, each with continue: true.
        groupWait: '1s',
        groupInterval: '1s',
      });
    });

    afterAll(async () => {
      await am?.stop();
      await receiver?.close();
    });

    it('delivers a firing alert to the webhooks (with their auth) and to PagerDuty as a trigger', async () => {
      const posted = Date.now();
      // startsAt now, so group_wait applies (a startsAt older than group_wait is flushed at once: see the last test).
      const startsAt = new Date(posted);
      await am.postAlerts([{ ...alert, startsAt }]);

      const bearer = await waitFor('firing webhook', () => receiver.deliveries.find((d) => d.path === '/hook/bearer'));
      timing('firing webhook after post', bearer.at - posted);
      expect(bearer.at - posted).toBeGreaterThanOrEqual(900);
      expect(bearer.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(bearer.headers['content-type']).toBe('application/json');
      expect(bearer.headers['user-agent']).toMatch(/^Alertmanager\//);
      expect(bearer.body).toMatchObject({
        version: '4',
        status: 'firing',
        receiver: 'hook-bearer',
        groupLabels: { alertname: 'WarroomHarnessDown' },
        commonLabels: alert.labels,
        commonAnnotations: alert.annotations,
        truncatedAlerts: 0,
      });
      expect(bearer.body.groupKey).toEqual(expect.any(String));
      const [first] = alertsOf(bearer);
      expect(first).toMatchObject({
        status: 'firing',
        labels: alert.labels,
        annotations: alert.annotations,
        generatorURL: alert.generatorURL,
      });
      // Go prints times with trailing zeros trimmed (".350Z" becomes ".35Z"), so compare instants, not strings.
      expect(Date.parse(String(first?.startsAt))).toBe(startsAt.getTime());
      expect(first?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      fingerprint = first?.fingerprint ?? '';

      const basic = await waitFor('firing basic-auth webhook', () =>
        receiver.deliveries.find((d) => d.path === '/hook/basic'),
      );
      expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('am:pw').toString('base64')}`);

      const pd = await waitFor('PagerDuty trigger', () => receiver.deliveries.find((d) => d.path === '/v2/enqueue'));
      timing('firing PagerDuty after post', pd.at - posted);
      expect(pd.headers.authorization).toBeUndefined();
      expect(pd.body).toMatchObject({
        routing_key: 'rk-123',
        event_action: 'trigger',
        payload: { severity: 'critical', summary: expect.stringContaining('WarroomHarnessDown') as unknown },
      });
      expect(pd.body.dedup_key).toMatch(/^[0-9a-f]{64}$/);
      dedupKey = pd.body.dedup_key as string;
      if (process.env.AM_HARNESS_TIMINGS) {
        console.info(JSON.stringify({ webhook: bearer, pagerduty: pd }, null, 2));
      }
    });

    it('delivers the alert posted again with endsAt in the past as resolved, within about one group_interval', async () => {
      const before = receiver.deliveries.length;
      const posted = Date.now();
      await am.postAlerts([{ ...alert, endsAt: new Date(Date.now() - 1_000) }]);
      const after = () => receiver.deliveries.slice(before);

      const hook = await waitFor('resolved webhook', () => after().find((d) => d.path === '/hook/bearer'));
      timing('resolved webhook after post', hook.at - posted);
      expect(hook.body).toMatchObject({ version: '4', status: 'resolved', receiver: 'hook-bearer' });
      expect(alertsOf(hook)[0]).toMatchObject({ status: 'resolved', fingerprint });
      expect(hook.headers.authorization).toBe(`Bearer ${TOKEN}`);

      await waitFor('resolved basic-auth webhook', () => after().find((d) => d.path === '/hook/basic'));

      const pd = await waitFor('PagerDuty resolve', () => after().find((d) => d.path === '/v2/enqueue'));
      timing('resolved PagerDuty after post', pd.at - posted);
      // Same dedup_key as the trigger: that is how PagerDuty closes the incident the trigger opened.
      expect(pd.body).toMatchObject({ routing_key: 'rk-123', event_action: 'resolve', dedup_key: dedupKey });
      if (process.env.AM_HARNESS_TIMINGS) console.info(JSON.stringify({ webhook: hook, pagerduty: pd }, null, 2));
    });
  },
);

describe.skipIf(!bin)(
  `Alertmanager timing (prometheus-alertmanager not installed: ${ALERTMANAGER_INSTALL_HINT})`,
  () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let am: AlertmanagerProcess;

    beforeAll(async () => {
      receiver = await startReceiver();
      am = await startAlertmanager({
        receivers: [{ name: 'hook', webhook: { url: `${receiver.url}/hook` } }],
        resolveTimeout: '2s',
      });
    });

    afterAll(async () => {
      await am?.stop();
      await receiver?.close();
    });

    it('applies resolve_timeout only without endsAt, and skips group_wait for an alert that started long ago', async () => {
      const posted = Date.now();
      await am.postAlerts([
        { labels: { alertname: 'NoEndsAt' } },
        { labels: { alertname: 'FutureEndsAt' }, endsAt: new Date(posted + 3_600_000) },
        {
          labels: { alertname: 'OldStartsAt' },
          startsAt: new Date(posted - 60_000),
          endsAt: new Date(posted + 3_600_000),
        },
      ]);
      const delivered = (name: string, status: string) =>
        receiver.deliveries.find((d) => d.body.status === status && alertsOf(d)[0]?.labels.alertname === name);

      const fresh = await waitFor('NoEndsAt firing', () => delivered('NoEndsAt', 'firing'));
      const old = await waitFor('OldStartsAt firing', () => delivered('OldStartsAt', 'firing'));
      timing('firing, startsAt now (group_wait 1s)', fresh.at - posted);
      timing('firing, startsAt 60 s ago (group_wait 1s)', old.at - posted);
      expect(fresh.at - posted).toBeGreaterThanOrEqual(900);
      expect(old.at).toBeLessThan(fresh.at);

      const noEndsAt = await waitFor('NoEndsAt resolved by resolve_timeout', () => delivered('NoEndsAt', 'resolved'));
      timing('NoEndsAt resolved after post (resolve_timeout 2s)', noEndsAt.at - posted);
      expect(noEndsAt.at - posted).toBeGreaterThanOrEqual(2_000);
      // Give FutureEndsAt the same time and a margin: resolve_timeout does not apply to it.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(delivered('FutureEndsAt', 'firing')).toBeDefined();
      expect(delivered('FutureEndsAt', 'resolved')).toBeUndefined();
    });
  },
);
