// Alertmanager and Grafana webhook parsing: per-alert status, zero endsAt, fingerprints, grouping, errors.
import { describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../../../src/integrations/alertmanager.js';
import { labelsFingerprint } from '../../../src/integrations/fingerprint.js';
import { parseGrafana } from '../../../src/integrations/grafana.js';
import { ctx, expectValid, fixture, issuesOf } from './fixtures.js';

describe('parseAlertmanager', () => {
  it('a firing message holding a resolved alert: each alert keeps its own status', () => {
    const alerts = parseAlertmanager(fixture('alertmanager-firing.json'), ctx());
    expectValid(alerts);
    expect(alerts.map((a) => [a.dedup_key, a.status, a.action])).toEqual([
      ['b4c5e5d3c2a1f0e9', 'firing', 'trigger'],
      ['0a1b2c3d4e5f6071', 'resolved', 'resolve'],
    ]);
    const [firing, resolved] = alerts;
    expect(firing).toMatchObject({
      title: 'Checkout 5xx rate above 5%',
      severity: 'critical',
      raw_severity: 'critical',
      source: 'checkout-1:8080',
      starts_at: '2026-11-29T10:00:00.123Z',
      ends_at: null,
      group_key: '{}/{severity="critical"}:{alertname="HighErrorRate"}',
    });
    expect(firing?.links).toEqual([
      { href: 'http://prometheus.example:9090/graph?g0.expr=rate%28http_5xx%5B5m%5D%29', text: 'Source' },
      { href: 'https://runbooks.example/checkout-5xx', text: 'Runbook' },
    ]);
    expect(resolved).toMatchObject({ starts_at: '2026-11-29T09:40:00.000Z', ends_at: '2026-11-29T09:55:00.000Z' });
  });

  it('the resolved message resolves the same identity', () => {
    const [a] = parseAlertmanager(fixture('alertmanager-resolved.json'), ctx());
    expect(a).toMatchObject({ dedup_key: 'b4c5e5d3c2a1f0e9', status: 'resolved', ends_at: '2026-11-29T10:20:00.000Z' });
  });

  it('a firing alert has no end even when Prometheus sent a future endsAt', () => {
    const p = fixture('alertmanager-firing.json');
    const alerts = p.alerts as Record<string, unknown>[];
    if (alerts[0]) alerts[0].endsAt = '2026-11-29T10:04:00Z';
    expect(parseAlertmanager(p, ctx())[0]).toMatchObject({
      ends_at: null,
      details: { ends_at_raw: '2026-11-29T10:04:00Z' },
    });
  });

  it('a missing fingerprint becomes the labels hash, whatever the label order', () => {
    const p = fixture('alertmanager-firing.json');
    const alerts = p.alerts as Record<string, unknown>[];
    const labels = {
      env: 'prod',
      alertname: 'HighErrorRate',
      severity: 'critical',
      job: 'checkout',
      instance: 'checkout-1:8080',
    };
    if (alerts[0]) {
      delete alerts[0].fingerprint;
      alerts[0].labels = labels;
    }
    const [a] = parseAlertmanager(p, ctx());
    expect(a?.dedup_key).toBe(
      labelsFingerprint({
        alertname: 'HighErrorRate',
        env: 'prod',
        instance: 'checkout-1:8080',
        job: 'checkout',
        severity: 'critical',
      }),
    );
    expect(a?.details).toMatchObject({ fingerprint_from: 'labels' });
  });

  it('group_by overrides the sender grouping', () => {
    const alerts = parseAlertmanager(
      fixture('alertmanager-firing.json'),
      ctx({ group_by: '{{ labels.job }}/{{ labels.env }}' }),
    );
    expect(alerts.map((a) => a.group_key)).toEqual(['checkout/prod', 'checkout/prod']);
  });

  it('no severity label → the integration default', () => {
    const p = fixture('alertmanager-resolved.json');
    const alerts = p.alerts as { labels: Record<string, string> }[];
    if (alerts[0]) delete alerts[0].labels.severity;
    expect(parseAlertmanager(p, ctx({ default_severity: 'low' }))[0]).toMatchObject({
      severity: 'low',
      raw_severity: null,
    });
  });

  it('names each bad field', () => {
    const p = fixture('alertmanager-firing.json');
    const alerts = p.alerts as Record<string, unknown>[];
    if (alerts[1]) {
      alerts[1].status = 'pending';
      // A time Warroom cannot read is no time (isoOrNull), never a refusal; a fingerprint must be text.
      alerts[1].startsAt = 42;
      alerts[1].fingerprint = 42;
      delete alerts[1].labels;
    }
    const paths = issuesOf(() => parseAlertmanager(p, ctx()))
      .map((i) => i.path)
      .sort();
    expect(paths).toEqual(['alerts[1].fingerprint', 'alerts[1].labels', 'alerts[1].status']);
  });

  it('refuses an unknown version, a missing alerts array, a non-object, and unstorable text', () => {
    expect(
      issuesOf(() => parseAlertmanager({ ...fixture('alertmanager-firing.json'), version: '3' }, ctx()))[0]?.path,
    ).toBe('version');
    const p = fixture('alertmanager-firing.json');
    delete p.alerts;
    expect(issuesOf(() => parseAlertmanager(p, ctx()))[0]?.path).toBe('alerts');
    expect(issuesOf(() => parseAlertmanager('nope', ctx()))[0]?.path).toBe('(input)');
    const q = fixture('alertmanager-firing.json');
    (q.commonAnnotations as Record<string, string>).summary = 'a\u0000b';
    expect(issuesOf(() => parseAlertmanager(q, ctx()))[0]?.path).toBe('commonAnnotations.summary');
  });

  it('also accepts a Grafana payload', () => {
    expect(parseAlertmanager(fixture('grafana-firing.json'), ctx())).toHaveLength(2);
  });
});

describe('parseGrafana', () => {
  it('reads Grafana alerts, links and values', () => {
    const alerts = parseGrafana(fixture('grafana-firing.json'), ctx());
    expectValid(alerts);
    const [mem, cpu] = alerts;
    expect(mem).toMatchObject({
      dedup_key: 'c6eadffa33fcdf37',
      status: 'firing',
      title: 'This alert was triggered for zone us-1',
      severity: 'medium',
      raw_severity: 'warning',
      source: 'grafana',
      starts_at: '2021-10-12T07:51:03.157Z',
      ends_at: null,
      group_key: '{}:{}',
      details: { values: { B: 44.23943737541908, C: 1 }, org_id: 1 },
    });
    expect(mem?.links.map((l) => l.text)).toEqual(['Source', 'Runbook', 'Dashboard', 'Panel', 'Silence']);
    expect(cpu).toMatchObject({
      dedup_key: 'bc97ff14869b13e3',
      status: 'resolved',
      ends_at: '2021-10-12T08:06:03.157Z',
      severity: 'medium',
      raw_severity: null,
    });
    expect(cpu?.links.map((l) => l.text)).toEqual(['Source', 'Silence']);
  });
});

describe('what a message says of its group', () => {
  const message = (status: string, alertStatuses: string[], truncatedAlerts: number) => ({
    ...fixture('alertmanager-firing.json'),
    status,
    truncatedAlerts,
    alerts: alertStatuses.map((st, k) => ({
      status: st,
      labels: { alertname: 'G', instance: `i${k}` },
      fingerprint: `f${k}`,
    })),
  });
  it('alerts left out count as firing whatever the message status (Alertmanager computes it over those shown)', () => {
    expect(parseAlertmanager(message('resolved', ['resolved'], 3), ctx())[0]?.hidden_firing).toBe(3);
    expect(parseAlertmanager(message('firing', ['firing'], 2), ctx())[0]?.hidden_firing).toBe(2);
  });
  it('the group resolved only when the status says so, every alert shown is resolved, and none is left out', () => {
    const resolved = (m: Record<string, unknown>) => parseAlertmanager(m, ctx())[0]?.group_resolved === true;
    expect(resolved(message('resolved', ['resolved', 'resolved'], 0))).toBe(true);
    expect(resolved(message('resolved', ['resolved'], 1))).toBe(false);
    expect(resolved(message('firing', ['resolved'], 0))).toBe(false);
    expect(resolved(message('resolved', ['resolved', 'firing'], 0))).toBe(false);
  });
  it('every alert carries its sender group: the sending Alertmanager (or Grafana org) and its groupKey, fitted', () => {
    const m = { ...message('firing', ['firing'], 0), groupKey: '{}:{namespace="monitoring"}' };
    const here = parseAlertmanager({ ...m, externalURL: 'http://am-eu:9093' }, ctx())[0];
    const there = parseAlertmanager({ ...m, externalURL: 'http://am-us:9093' }, ctx())[0];
    // Two clusters' Alertmanagers with one configuration share group keys, not sender groups.
    expect(here?.group_key).toBe(there?.group_key);
    expect(here?.sender_group).not.toBe(there?.sender_group);
    const [long] = parseAlertmanager({ ...m, groupKey: 'g'.repeat(3000) }, ctx());
    expect(long?.sender_group?.length).toBeLessThanOrEqual(1024);
  });
  it('a message without a groupKey (a script) never says its group resolved', () => {
    const { groupKey: _omit, ...m } = message('resolved', ['resolved'], 0) as Record<string, unknown>;
    expect(parseAlertmanager(m, ctx())[0]?.group_resolved).toBeUndefined();
  });
  it('a link too long to keep is left out, not a reason to refuse the message', () => {
    const m = message('firing', ['firing'], 0);
    const alerts = m.alerts.map((a) => ({ ...a, generatorURL: `http://p/${'x'.repeat(9000)}` }));
    const [a] = parseAlertmanager({ ...m, alerts }, ctx());
    expect(a?.links).toEqual([]);
  });
});
