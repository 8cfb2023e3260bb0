// Each sender's payloads, from the fixtures written from their documented shapes (test/fixtures/senders/README.md):
// PagerDuty Events v2 on /v2/enqueue and on the integration webhook, Grafana with and without its HMAC signature,
// Datadog's webhook template; plus the metrics those deliveries leave behind.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Delivery, PagerDutyEventResponse } from '../../schema/index.js';
import { signGrafanaPayload } from '../../src/integrations/index.js';
import { DB_LABEL, startTestApp, type TestServer } from './harness.js';
import {
  accepted,
  alertEvents,
  createIntegration,
  deliver,
  incident,
  statusBecomes,
  timeline,
} from './alerts-helpers.js';

const PROMTOOL = existsSync('/usr/bin/promtool') ? '/usr/bin/promtool' : '';

let s: TestServer;
beforeAll(async () => {
  s = await startTestApp({ ALERT_SWEEP_INTERVAL_MS: '200' });
});
afterAll(() => s.stop());

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/senders/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

let n = 0;
const name = (what: string) => `${what}-${++n}`;

const enqueue = (body: unknown, path = '/v2/enqueue') => s.api(path, { json: body });

describe(`PagerDuty Events v2 (${DB_LABEL})`, () => {
  it('/v2/enqueue routes by routing_key and answers like PagerDuty: trigger, acknowledge, resolve', async () => {
    const i = await createIntegration(s, { name: name('pd'), kind: 'pagerduty', settings: { auto_resolve_after: 0 } });
    const trigger = { ...fixture('pagerduty-trigger.json'), routing_key: i.secret };
    const res = await enqueue(trigger);
    expect(res.status).toBe(202);
    expect(PagerDutyEventResponse.parse(await res.json())).toEqual({
      status: 'success',
      message: 'Event processed',
      dedup_key: 'checkout-db/disk-full',
    });
    const list = (await (await s.api(`/api/incidents/?source=${i.name}`)).json()) as Array<{ id: string }>;
    expect(list).toHaveLength(1);
    const id = list[0]?.id ?? '';
    const inc = await incident(s, id);
    expect(inc).toMatchObject({ severity: 'critical', status: 'open', title: 'Disk 95% full on checkout-db-1' });
    // The routing key is the integration's secret: it appears nowhere a reader can see.
    expect(JSON.stringify(inc)).not.toContain(i.secret);
    const deliveries = await (await s.api(`/api/integrations/${i.id}/deliveries`)).text();
    expect(deliveries).not.toContain(i.secret);

    // A re-sent trigger is a duplicate: no new event.
    expect((await enqueue(trigger)).status).toBe(202);
    expect(await alertEvents(s, id)).toHaveLength(1);

    const ack = { routing_key: i.secret, event_action: 'acknowledge', dedup_key: 'checkout-db/disk-full' };
    expect((await enqueue(ack)).status).toBe(202);
    expect((await incident(s, id)).status).toBe('investigating');

    const resolve = { routing_key: i.secret, event_action: 'resolve', dedup_key: 'checkout-db/disk-full' };
    expect((await enqueue(resolve)).status).toBe(202);
    expect((await incident(s, id)).status).toBe('monitoring');
  });

  it('a resolve without payload of one alert leaves the incident open while another alert of its group fires', async () => {
    // The resolve names no group: the incident's other firing alerts must still be weighed (walkthrough, 2026-12-01:
    // it went to monitoring, "All alerts resolved", with c1 still firing).
    const i = await createIntegration(s, { name: name('pd'), kind: 'pagerduty', settings: { auto_resolve_after: 0 } });
    const base = fixture('pagerduty-trigger.json');
    const payload = base.payload as Record<string, unknown>;
    for (const dedup_key of ['c1', 'c2']) {
      const trigger = { ...base, routing_key: i.secret, dedup_key, payload: { ...payload, summary: dedup_key } };
      expect((await enqueue(trigger)).status).toBe(202);
    }
    const list = (await (await s.api(`/api/incidents/?source=${i.name}`)).json()) as Array<{ id: string }>;
    expect(list).toHaveLength(1);
    const id = list[0]?.id ?? '';
    expect((await enqueue({ routing_key: i.secret, event_action: 'resolve', dedup_key: 'c2' })).status).toBe(202);
    expect((await incident(s, id)).status).toBe('open');
    expect((await enqueue({ routing_key: i.secret, event_action: 'resolve', dedup_key: 'c1' })).status).toBe(202);
    expect((await incident(s, id)).status).toBe('monitoring');
  });

  it('generates and returns a dedup_key for a trigger without one', async () => {
    const i = await createIntegration(s, { name: name('pd'), kind: 'pagerduty' });
    const res = await enqueue({ ...fixture('pagerduty-trigger-no-dedup-key.json'), routing_key: i.secret });
    expect(res.status).toBe(202);
    const body = PagerDutyEventResponse.parse(await res.json());
    expect(body.dedup_key).toMatch(/^[0-9a-f]{32}$/);
    const resolve = { routing_key: i.secret, event_action: 'resolve', dedup_key: body.dedup_key };
    expect((await enqueue(resolve)).status).toBe(202);
    const d = Delivery.array().parse(await (await s.api(`/api/integrations/${i.id}/deliveries`)).json());
    expect(d[0]?.alerts[0]).toMatchObject({ dedup_key: body.dedup_key, outcome: 'resolved' });
  });

  it('refuses an unknown routing_key (401) and a bad event (400) in PagerDuty’s error shape', async () => {
    const unknown = await enqueue({ ...fixture('pagerduty-trigger.json'), routing_key: 'nope' });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ status: 'invalid event' });
    const i = await createIntegration(s, { name: name('pd'), kind: 'pagerduty' });
    const bad = await enqueue({ routing_key: i.secret, event_action: 'explode' });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { status: string; errors: string[] };
    expect(body.status).toBe('invalid event');
    expect(body.errors.join(' ')).toContain('event_action');
  });

  it('the integration webhook takes PagerDuty events authenticated by routing_key alone', async () => {
    const i = await createIntegration(s, { name: name('pd'), kind: 'pagerduty' });
    const body = { ...fixture('pagerduty-trigger.json'), routing_key: i.secret };
    const res = await deliver(s, i, body, {});
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'success', dedup_key: 'checkout-db/disk-full' });
    const wrong = await deliver(s, i, { ...body, routing_key: 'whk_other' }, {});
    expect(wrong.status).toBe(401);
  });

  it('/v2/change/enqueue records a change as a log event on the integration’s active incidents', async () => {
    const i = await createIntegration(s, { name: name('pd'), kind: 'pagerduty' });
    await enqueue({ ...fixture('pagerduty-trigger.json'), routing_key: i.secret });
    const [inc] = (await (await s.api(`/api/incidents/?source=${i.name}`)).json()) as Array<{ id: string }>;
    const res = await enqueue(
      { routing_key: i.secret, payload: { summary: 'Deployed checkout v2.3.1', source: 'ci' } },
      '/v2/change/enqueue',
    );
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'success', message: 'Change event processed' });
    const events = (await (await s.api(`/api/ingest/events/${inc?.id}`)).json()) as Array<{ message: string }>;
    expect(events.map((e) => e.message)).toContain('CHANGE: Deployed checkout v2.3.1');
  });
});

describe(`Grafana (${DB_LABEL})`, () => {
  it('accepts the payload on an alertmanager integration with a Bearer secret', async () => {
    const i = await createIntegration(s, { name: name('graf'), kind: 'alertmanager' });
    // The message is `firing` but holds a resolved alert too: each is handled on its own.
    const out = await accepted(s, i, fixture('grafana-firing.json'));
    expect(out.alerts.map((a) => [a.status, a.outcome])).toEqual([
      ['firing', 'created'],
      ['resolved', 'resolved'],
    ]);
    const inc = await incident(s, out.alerts[0]?.incident_id ?? '');
    expect(inc).toMatchObject({ severity: 'medium', title: 'This alert was triggered for zone us-1' });
  });

  it('checks the HMAC signature over timestamp:body within ±5 minutes when configured', async () => {
    const i = await createIntegration(s, {
      name: name('graf'),
      kind: 'grafana',
      settings: { hmac: { timestamp_header: 'X-Grafana-Alerting-Signature-Timestamp' } },
    });
    const body = JSON.stringify(fixture('grafana-firing.json'));
    const post = (headers: Record<string, string>) =>
      s.api(`/api/integrations/${i.id}/alerts`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
      });
    const now = String(Math.floor(Date.now() / 1000));
    const good = await post({
      'X-Grafana-Alerting-Signature': signGrafanaPayload(i.secret, body, now),
      'X-Grafana-Alerting-Signature-Timestamp': now,
    });
    expect(good.status).toBe(202);
    const stale = String(Math.floor(Date.now() / 1000) - 301);
    const old = await post({
      'X-Grafana-Alerting-Signature': signGrafanaPayload(i.secret, body, stale),
      'X-Grafana-Alerting-Signature-Timestamp': stale,
    });
    expect(old.status).toBe(401);
    const forged = await post({
      'X-Grafana-Alerting-Signature': signGrafanaPayload('whk_guess', body, now),
      'X-Grafana-Alerting-Signature-Timestamp': now,
    });
    expect(forged.status).toBe(401);
    // With a signature required, the secret as a Bearer token is not enough.
    expect((await post({ authorization: `Bearer ${i.secret}` })).status).toBe(401);
  });
});

describe(`Datadog (${DB_LABEL})`, () => {
  it('a triggered then recovered monitor opens and then resolves its alert, grouped by monitor', async () => {
    const i = await createIntegration(s, {
      name: name('dd'),
      kind: 'datadog',
      settings: { auto_resolve_after: 1 },
    });
    const fired = await accepted(s, i, fixture('datadog-triggered.json'));
    expect(fired.alerts[0]?.outcome).toBe('created');
    const id = fired.alerts[0]?.incident_id ?? '';
    expect((await incident(s, id)).severity).toBe('high');
    // Datadog re-notifies with a fresh date: the same cycle is a duplicate.
    const renotify = { ...fixture('datadog-triggered.json'), date: String(Date.now()) };
    expect((await accepted(s, i, renotify)).alerts[0]?.outcome).toBe('duplicate');
    const recovered = await accepted(s, i, fixture('datadog-recovered.json'));
    expect(recovered.alerts[0]).toMatchObject({ outcome: 'resolved', incident_id: id });
    await statusBecomes(s, id, 'resolved', 5000);
  });
});

describe(`Alertmanager with max_alerts (${DB_LABEL})`, () => {
  it('an incident whose group has alerts left out of the message waits for the group to resolve', async () => {
    // Alertmanager sends at most max_alerts alerts and says how many it left out (truncatedAlerts). The incident went
    // to monitoring, then resolved, when the alerts it was shown resolved, with the others still firing
    // (walkthrough, 2026-12-01: 8 alerts, max_alerts 5).
    const i = await createIntegration(s, {
      name: name('am'),
      kind: 'alertmanager',
      settings: { auto_resolve_after: 0 },
    });
    const base = fixture('alertmanager-firing.json');
    const groupKey = `{}:{alertname="${name('Trunc')}"}`;
    const alert = (n: number, status: 'firing' | 'resolved') => ({
      status,
      labels: { alertname: 'Trunc', instance: `t${n}` },
      annotations: {},
      startsAt: '2026-11-29T10:00:00Z',
      endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-29T10:30:00Z',
      fingerprint: `trunc${n}`,
    });
    const message = (status: 'firing' | 'resolved', alerts: unknown[], truncatedAlerts: number) => ({
      ...base,
      groupKey,
      status,
      truncatedAlerts,
      alerts,
    });
    const fired = await accepted(s, i, message('firing', [alert(0, 'firing'), alert(1, 'firing')], 3));
    const id = fired.alerts[0]?.incident_id ?? '';
    // The two shown resolve; three left out still fire (the group's status is still firing).
    await accepted(s, i, message('firing', [alert(0, 'resolved'), alert(1, 'resolved')], 3));
    expect((await incident(s, id)).status).toBe('open');
    expect((await timeline(s, id)).map((t) => t.title)).toContain('Alerts shown resolved; more still firing');
    // Alertmanager says the whole group resolved: now the incident is quiet, though this message resolved nothing new.
    await accepted(s, i, message('resolved', [alert(0, 'resolved'), alert(1, 'resolved')], 3));
    expect((await incident(s, id)).status).toBe('monitoring');
  });
});

describe(`Datadog, a monitor that gets worse (${DB_LABEL})`, () => {
  it('Warn then Triggered in one cycle: held below min_severity, then opens a critical incident', async () => {
    const i = await createIntegration(s, { name: name('dd'), kind: 'datadog', settings: { min_severity: 'high' } });
    const base = { ...fixture('datadog-triggered.json'), cycle_key: '777', monitor_id: '888' };
    const warn = { ...base, transition: 'Warn', priority: 'P3', alert_type: 'warning' };
    expect((await accepted(s, i, warn)).alerts[0]).toMatchObject({ outcome: 'suppressed', incident_id: null });
    const triggered = { ...base, transition: 'Triggered', priority: 'P1', alert_type: 'error' };
    const fired = await accepted(s, i, triggered);
    expect(fired.alerts[0]?.outcome).toBe('created');
    expect((await incident(s, fired.alerts[0]?.incident_id ?? '')).severity).toBe('critical');
  });
});

describe(`metrics after deliveries (${DB_LABEL})`, () => {
  it('exposes alerts received, incidents created and open, MTTA and MTTR', async () => {
    const i = await createIntegration(s, { name: name('m'), kind: 'generic', settings: { auto_resolve_after: 1 } });
    const alert = { dedup_key: 'm1', title: 'Queue backlog', severity: 'critical', group_key: 'm' };
    const fired = await accepted(s, i, { alerts: [alert] });
    const id = fired.alerts[0]?.incident_id ?? '';
    await accepted(s, i, { alerts: [alert] });
    expect((await s.api(`/api/incidents/${id}/status?status=investigating`, { method: 'PATCH' })).status).toBe(200);
    await accepted(s, i, { alerts: [{ ...alert, status: 'resolved' }] });
    await statusBecomes(s, id, 'resolved', 5000);
    // The sweeper publishes the resolution (which the metrics observe) once its transaction has committed, so a read
    // that already sees `resolved` can come a moment before the metric: wait for it too.
    const mttr = /warroom_incident_time_to_resolve_seconds_count\{severity="critical"\} [1-9]/;
    let text = await (await s.api('/metrics')).text();
    for (const until = Date.now() + 5000; !mttr.test(text) && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 50));
      text = await (await s.api('/metrics')).text();
    }
    expect(text).toContain(`warroom_alerts_received_total{integration="${i.name}",kind="generic",outcome="created"} 1`);
    expect(text).toContain(
      `warroom_alerts_received_total{integration="${i.name}",kind="generic",outcome="duplicate"} 1`,
    );
    expect(text).toMatch(new RegExp(`warroom_incidents_created_total\\{severity="critical",source="${i.name}"\\} 1`));
    expect(text).toMatch(/warroom_incidents_open\{severity="\w+",status="\w+"\} \d+/);
    expect(text).toMatch(/warroom_incident_time_to_acknowledge_seconds_count\{severity="critical"\} [1-9]/);
    expect(text).toMatch(/warroom_incident_time_to_resolve_seconds_count\{severity="critical"\} [1-9]/);
    expect(text).not.toContain('nodejs_active_handles_total');
  });

  it('MTTA counts acknowledgements by someone, not the alerts’ own move to monitoring', async () => {
    const count = async (): Promise<number> => {
      const text = await (await s.api('/metrics')).text();
      const m = /warroom_incident_time_to_acknowledge_seconds_count\{severity="high"\} (\d+)/.exec(text);
      return Number(m?.[1] ?? 0);
    };
    const before = await count();
    const i = await createIntegration(s, { name: name('mtta'), kind: 'generic', settings: { auto_resolve_after: 0 } });
    const alert = { dedup_key: 'q1', title: 'Nobody looked', severity: 'high', group_key: 'q' };
    const id = (await accepted(s, i, { alerts: [alert] })).alerts[0]?.incident_id ?? '';
    await accepted(s, i, { alerts: [{ ...alert, status: 'resolved' }] });
    expect((await incident(s, id)).status).toBe('monitoring');
    // Published after commit; give the sink a moment, then check nothing was observed.
    await new Promise((r) => setTimeout(r, 300));
    expect(await count()).toBe(before);
  });

  it.skipIf(!PROMTOOL)(
    'passes `promtool check metrics` (promtool not installed: apt-get install -y prometheus)',
    async () => {
      const text = await (await s.api('/metrics')).text();
      // promtool exits non-zero on any problem and names it; execFileSync then throws with its output.
      execFileSync(PROMTOOL, ['check', 'metrics'], { input: text });
    },
  );
});
