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

  // As every documented path (a new-user trial, 2026-12-03: both were 404 "no route" with the slash).
  it('answers /v2/enqueue/ and /v2/change/enqueue/ with a trailing slash too, and another method with 405', async () => {
    const i = await createIntegration(s, { name: name('pd'), kind: 'pagerduty' });
    const trigger = { ...fixture('pagerduty-trigger.json'), routing_key: i.secret, dedup_key: 'slash' };
    const res = await enqueue(trigger, '/v2/enqueue/');
    expect(res.status).toBe(202);
    expect(PagerDutyEventResponse.parse(await res.json()).dedup_key).toBe('slash');
    const change = await enqueue(
      { routing_key: i.secret, payload: { summary: 'slash', source: 'ci' } },
      '/v2/change/enqueue/',
    );
    expect(change.status).toBe(202);
    for (const path of ['/v2/enqueue/', '/v2/change/enqueue/']) {
      const get = await s.api(path);
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
    }
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
    // "resolved" while it still leaves three out: Alertmanager computes the status over the alerts it shows
    // (notify/webhook/webhook.go cuts to max_alerts first), so the three may still fire and the incident waits.
    await accepted(s, i, message('resolved', [alert(0, 'resolved'), alert(1, 'resolved')], 3));
    expect((await incident(s, id)).status).toBe('open');
    // A message that leaves nothing out and shows everything resolved: now the incident is quiet, though this
    // message resolved nothing new.
    await accepted(s, i, message('resolved', [alert(0, 'resolved'), alert(1, 'resolved')], 0));
    expect((await incident(s, id)).status).toBe('monitoring');
  });
});

describe(`Alertmanager alerts it stops naming: silenced, inhibited, left out (${DB_LABEL})`, () => {
  const alert = (instance: string, status: 'firing' | 'resolved') => ({
    status,
    labels: { alertname: 'Muted', instance, severity: 'critical' },
    annotations: { summary: `Muted on ${instance}` },
    startsAt: '2026-11-29T10:00:00Z',
    endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-29T10:30:00Z',
    fingerprint: `muted-${instance}`,
  });
  const message = (groupKey: string, status: 'firing' | 'resolved', alerts: unknown[], truncatedAlerts = 0) => ({
    ...fixture('alertmanager-firing.json'),
    groupKey,
    status,
    truncatedAlerts,
    alerts,
  });

  /** A fresh integration whose Alertmanager group opened an incident with alerts a and b firing. */
  async function twoFiring(): Promise<{ i: Awaited<ReturnType<typeof createIntegration>>; group: string; id: string }> {
    const i = await createIntegration(s, {
      name: name('mute'),
      kind: 'alertmanager',
      settings: { auto_resolve_after: 0 },
    });
    const group = `{}:{alertname="${name('Muted')}"}`;
    const fired = await accepted(s, i, message(group, 'firing', [alert('a', 'firing'), alert('b', 'firing')]));
    return { i, group, id: fired.alerts[0]?.incident_id ?? '' };
  }

  it('a message saying the group resolved ends the alerts it no longer names; one still firing says nothing', async () => {
    const { i, group, id } = await twoFiring();
    // b silenced at Alertmanager: left out while a still fires. Nothing is said of b.
    await accepted(s, i, message(group, 'firing', [alert('a', 'firing')]));
    expect((await timeline(s, id)).map((t) => t.title)).not.toContain('Alert no longer reported: Muted on b');
    // a resolves; b resolved too, unseen. The group's last message names a alone, "resolved".
    await accepted(s, i, message(group, 'resolved', [alert('a', 'resolved')]));
    expect((await incident(s, id)).status).toBe('monitoring');
    const entries = await timeline(s, id);
    expect(entries.map((t) => t.title)).toContain('Alert no longer reported: Muted on b');
    expect((await alertEvents(s, id)).map((e) => e.message).sort()).toEqual([
      'FIRING: Muted on a',
      'FIRING: Muted on b',
      'RESOLVED: Muted on a',
      'RESOLVED: Muted on b',
    ]);
    // b still firing after all (its silence ended): a new firing, which brings the incident back.
    const again = await accepted(s, i, message(group, 'firing', [alert('b', 'firing')]));
    expect(again.alerts[0]).toMatchObject({ outcome: 'updated', incident_id: id });
    expect((await incident(s, id)).status).toBe('investigating');
  });

  it('a "resolved" message that still leaves alerts out, or holds one firing, ends nothing it does not name', async () => {
    const { i, group, id } = await twoFiring();
    await accepted(s, i, message(group, 'resolved', [alert('a', 'resolved')], 1));
    expect((await incident(s, id)).status).toBe('open');
    // A script's message whose status disagrees with its alerts is not taken as the group resolving.
    await accepted(s, i, message(group, 'resolved', [alert('c', 'firing')]));
    expect((await timeline(s, id)).map((t) => t.title)).not.toContain('Alert no longer reported: Muted on b');
    expect((await incident(s, id)).status).toBe('open');
  });

  it('a copy of the resolve that ended an alert, arriving after it fired again, ends nothing (a retry, a replica)', async () => {
    const { i, group, id } = await twoFiring();
    const resolve = message(group, 'resolved', [alert('a', 'resolved')]);
    await accepted(s, i, resolve);
    expect((await incident(s, id)).status).toBe('monitoring');
    // b's silence ends while it still fires: it comes back with its old start.
    await accepted(s, i, message(group, 'firing', [alert('b', 'firing')]));
    expect((await incident(s, id)).status).toBe('investigating');
    await accepted(s, i, resolve);
    expect((await incident(s, id)).status).toBe('investigating');
    const ended = (await timeline(s, id)).filter((t) => t.title === 'Alert no longer reported: Muted on b');
    expect(ended).toHaveLength(1);
  });

  it('with group_by and max_alerts, the group resolving clears what every Warroom group counted out of sight', async () => {
    const i = await createIntegration(s, {
      name: name('mute'),
      kind: 'alertmanager',
      settings: { auto_resolve_after: 0, group_by: '{{ labels.service }}' },
    });
    const group = `{}:{alertname="${name('Trunc')}"}`;
    const svc = (n: string, service: string, status: 'firing' | 'resolved') => ({
      ...alert(n, status),
      labels: { alertname: 'Trunc', instance: n, service, severity: 'critical' },
    });
    // The walkthrough, with a real Alertmanager (max_alerts: 2): i1 in s1; i5 and i9 in s2, i9 never shown.
    const first = await accepted(
      s,
      i,
      message(group, 'firing', [svc('i1', 's1', 'firing'), svc('i5', 's2', 'firing')], 1),
    );
    const [s1, s2] = [first.alerts[0]?.incident_id ?? '', first.alerts[1]?.incident_id ?? ''];
    await accepted(s, i, message(group, 'firing', [svc('i1', 's1', 'resolved'), svc('i5', 's2', 'firing')], 1));
    expect((await incident(s, s1)).status).toBe('open');
    await accepted(s, i, message(group, 'resolved', [svc('i5', 's2', 'resolved'), svc('i9', 's2', 'resolved')], 0));
    expect((await incident(s, s2)).status).toBe('monitoring');
    expect((await incident(s, s1)).status).toBe('monitoring');
  });

  it('a message whose groupKey is empty names no group that could be whole', async () => {
    const i = await createIntegration(s, {
      name: name('mute'),
      kind: 'alertmanager',
      settings: { auto_resolve_after: 0 },
    });
    const fired = await accepted(s, i, message('', 'firing', [alert('a', 'firing'), alert('b', 'firing')]));
    const id = fired.alerts[0]?.incident_id ?? '';
    await accepted(s, i, message('', 'resolved', [alert('a', 'resolved')]));
    expect((await timeline(s, id)).map((t) => t.title)).not.toContain('Alert no longer reported: Muted on b');
    expect((await incident(s, id)).status).toBe('open');
  });

  it('ends nothing another Alertmanager still fires, nor what fired after the resolve it names (a stale replica)', async () => {
    const i = await createIntegration(s, {
      name: name('mute'),
      kind: 'alertmanager',
      settings: { auto_resolve_after: 0 },
    });
    const group = `{}:{namespace="${name('monitoring')}"}`;
    const from = (externalURL: string, status: 'firing' | 'resolved', alerts: unknown[]) => ({
      ...message(group, status, alerts),
      externalURL,
    });
    // Two clusters' Alertmanagers, one configuration: the same groupKey.
    const fired = await accepted(s, i, from('http://am-eu:9093', 'firing', [alert('eu', 'firing')]));
    const id = fired.alerts[0]?.incident_id ?? '';
    await accepted(s, i, from('http://am-us:9093', 'firing', [alert('us', 'firing')]));
    await accepted(s, i, from('http://am-eu:9093', 'resolved', [alert('eu', 'resolved')]));
    expect((await timeline(s, id)).map((t) => t.title)).not.toContain('Alert no longer reported: Muted on us');
    expect((await incident(s, id)).status).toBe('open');

    // One Alertmanager: z fired after x resolved; a replica's stale "resolved {x}" arrives after it.
    const z = { ...alert('z', 'firing'), startsAt: '2026-11-29T11:00:00Z' };
    expect((await accepted(s, i, from('http://am-us:9093', 'firing', [z]))).alerts[0]?.incident_id).toBe(id);
    await accepted(s, i, from('http://am-us:9093', 'resolved', [alert('x', 'resolved')]));
    const titles = (await timeline(s, id)).map((t) => t.title);
    expect(titles).not.toContain('Alert no longer reported: Muted on z');
    // us started before that resolve, so the message did end it: left out of a group that said it resolved. Once z
    // resolves too, nothing of the group fires and the incident is quiet.
    await accepted(
      s,
      i,
      from('http://am-us:9093', 'resolved', [{ ...alert('z', 'resolved'), endsAt: '2026-11-29T11:30:00Z' }]),
    );
    expect(titles).toContain('Alert no longer reported: Muted on us');
    expect((await incident(s, id)).status).toBe('monitoring');
  });

  it("with group_by, ends the sender group's alerts in every Warroom group, and no other sender group's", async () => {
    const i = await createIntegration(s, {
      name: name('mute'),
      kind: 'alertmanager',
      settings: { auto_resolve_after: 0, group_by: '{{ labels.instance }}' },
    });
    const group = `{}:{alertname="${name('Muted')}"}`;
    const other = `{}:{alertname="${name('Other')}"}`;
    const a = await accepted(s, i, message(group, 'firing', [alert('a', 'firing')]));
    const b = await accepted(s, i, message(group, 'firing', [alert('b', 'firing')]));
    // Another Alertmanager group whose alert lands in the same Warroom group as b.
    await accepted(s, i, message(other, 'firing', [{ ...alert('b', 'firing'), fingerprint: 'other-b' }]));
    const [idA, idB] = [a.alerts[0]?.incident_id ?? '', b.alerts[0]?.incident_id ?? ''];
    expect(idA).not.toBe(idB);
    await accepted(s, i, message(group, 'resolved', [alert('a', 'resolved')]));
    expect((await incident(s, idA)).status).toBe('monitoring');
    // b's incident keeps the other group's alert, still firing.
    expect((await timeline(s, idB)).map((t) => t.title)).toContain('Alert no longer reported: Muted on b');
    expect((await incident(s, idB)).status).toBe('open');
  });
});

describe(`what only Warroom limits never refuses (${DB_LABEL})`, () => {
  it('PagerDuty: a timestamp in its own documented form (+0000) or with no offset, a long source, a long link', async () => {
    const i = await createIntegration(s, { name: name('pd'), kind: 'pagerduty' });
    const base = fixture('pagerduty-trigger.json') as { payload: Record<string, unknown> };
    const longUrl = `https://status.example.com/monitors/${'x'.repeat(3000)}`;
    const res = await enqueue({
      ...base,
      routing_key: i.secret,
      dedup_key: name('ts'),
      payload: { ...base.payload, timestamp: '2015-07-17T08:42:58.315+0000', source: `https://${'s'.repeat(300)}` },
      links: [
        { href: longUrl, text: 'too long to keep' },
        { href: 'https://runbooks.example.com/db', text: 'Runbook' },
      ],
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const noOffset = await enqueue({
      ...base,
      routing_key: i.secret,
      dedup_key: name('ts'),
      payload: { ...base.payload, timestamp: '2026-12-01T22:00:00.123456' },
    });
    expect(noOffset.status, await noOffset.clone().text()).toBe(202);
    const change = await enqueue(
      { routing_key: i.secret, payload: { summary: 'Deployed v2', timestamp: '2015-07-17T08:42:58.315+0000' } },
      '/v2/change/enqueue',
    );
    expect(change.status, await change.clone().text()).toBe(202);
    const deliveries = (await (await s.api(`/api/integrations/${i.id}/deliveries?limit=10`)).json()) as Delivery[];
    expect(deliveries.length).toBeGreaterThanOrEqual(2);
    expect(deliveries.every((d) => d.status === 202)).toBe(true);
    const list = (await (await s.api(`/api/incidents/?source=${i.name}`)).json()) as Array<{ id: string }>;
    expect(list).toHaveLength(1);
    const events = (await (await s.api(`/api/ingest/events/${list[0]?.id ?? ''}?limit=10`)).json()) as Array<{
      event_type: string;
      timestamp: string;
      metadata: { links?: Array<{ href: string }> };
    }>;
    const alerts = events.filter((e) => e.event_type === 'alert');
    // Read as UTC when no offset is given, whatever the server's time zone.
    expect(alerts.map((e) => e.timestamp).sort()).toEqual(['2015-07-17T08:42:58.315Z', '2026-12-01T22:00:00.123Z']);
    const first = alerts.find((e) => e.timestamp.startsWith('2015'));
    const hrefs = first?.metadata.links?.map((l) => l.href) ?? [];
    expect(hrefs).toContain('https://runbooks.example.com/db');
    expect(hrefs.some((h) => h.includes('xxxx'))).toBe(false);
  });

  it('PagerDuty: an acknowledge of an alert already resolved is dropped, as PagerDuty drops it', async () => {
    const i = await createIntegration(s, { name: name('pd'), kind: 'pagerduty', settings: { auto_resolve_after: 0 } });
    const trigger = (dedup: string) => ({
      ...fixture('pagerduty-trigger.json'),
      routing_key: i.secret,
      dedup_key: dedup,
    });
    const [a, b] = [name('ack'), name('ack')];
    expect((await enqueue(trigger(a))).status).toBe(202);
    expect((await enqueue(trigger(b))).status).toBe(202);
    const [only] = (await (await s.api(`/api/incidents/?source=${i.name}`)).json()) as Array<{ id: string }>;
    const id = only?.id ?? '';
    await enqueue({ routing_key: i.secret, event_action: 'resolve', dedup_key: a });
    const ack = await deliver(s, i, { routing_key: i.secret, event_action: 'acknowledge', dedup_key: a });
    expect(ack.status).toBe(202);
    expect((await incident(s, id)).status).toBe('open');
    const [latest] = (await (await s.api(`/api/integrations/${i.id}/deliveries?limit=1`)).json()) as Delivery[];
    expect(latest?.alerts.map((x) => x.outcome)).toEqual(['duplicate']);
    // The alert still firing can be acknowledged.
    await enqueue({ routing_key: i.secret, event_action: 'acknowledge', dedup_key: b });
    expect((await incident(s, id)).status).toBe('investigating');
  });

  it('a time that is null, a number or an object is unknown, not a refusal (PagerDuty and Alertmanager)', async () => {
    const pd = await createIntegration(s, { name: name('pd'), kind: 'pagerduty' });
    const base = fixture('pagerduty-trigger.json') as { payload: Record<string, unknown> };
    for (const timestamp of [null, 1700000000, { at: 'now' }]) {
      const res = await enqueue({
        ...base,
        routing_key: pd.secret,
        dedup_key: name('t'),
        payload: { ...base.payload, timestamp },
      });
      expect(res.status, JSON.stringify(timestamp)).toBe(202);
    }
    const am = await createIntegration(s, { name: name('am'), kind: 'alertmanager' });
    const msg = fixture('alertmanager-firing.json') as { alerts: Array<Record<string, unknown>> };
    const alerts = msg.alerts.map((a) => ({ ...a, startsAt: null, endsAt: null }));
    await accepted(s, am, { ...msg, groupKey: name('null-times'), alerts });
  });

  it('Alertmanager: a generatorURL of 8 KB is left out, not a reason to drop the message', async () => {
    const i = await createIntegration(s, { name: name('am'), kind: 'alertmanager' });
    const base = fixture('alertmanager-firing.json') as { alerts: Array<Record<string, unknown>> };
    const long = `http://prometheus:9090/graph?g0.expr=${encodeURIComponent(`rate(x{service=~"${'a|'.repeat(3000)}b"}[5m])`)}`;
    const alerts = base.alerts.map((a, k) => (k === 0 ? { ...a, generatorURL: long } : a));
    const done = await accepted(s, i, { ...base, groupKey: name('long-url'), alerts });
    expect(done.alerts[0]?.outcome).toBe('created');
  });

  it('a group key of 1000 CJK characters (3 KB) opens its incident; two that differ only at the end stay apart', async () => {
    const i = await createIntegration(s, { name: name('gen'), kind: 'generic' });
    const stem = Array.from({ length: 999 }, (_, k) => String.fromCodePoint(0x4e00 + ((k * 7919) % 20000))).join('');
    const one = await accepted(s, i, {
      alerts: [{ dedup_key: name('cjk'), title: 'Backup failed', group_key: `${stem}一` }],
    });
    const two = await accepted(s, i, {
      alerts: [{ dedup_key: name('cjk'), title: 'Backup failed', group_key: `${stem}二` }],
    });
    expect(one.alerts[0]?.outcome).toBe('created');
    expect(two.alerts[0]?.outcome).toBe('created');
    expect(one.alerts[0]?.incident_id).not.toBe(two.alerts[0]?.incident_id);
    // The same key again joins its incident.
    const again = await accepted(s, i, {
      alerts: [{ dedup_key: name('cjk'), title: 'Backup failed', group_key: `${stem}一` }],
    });
    expect(again.alerts[0]).toMatchObject({ outcome: 'updated', incident_id: one.alerts[0]?.incident_id });
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
