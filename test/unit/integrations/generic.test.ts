// Warroom's generic format: the envelope, defaults, severity mapping, grouping, and named errors.
import { describe, expect, it } from 'vitest';
import { ALERT_PARSERS, parseGeneric } from '../../../src/integrations/index.js';
import { ctx, expectValid, fixture, issuesOf } from './fixtures.js';

describe('parseGeneric', () => {
  it('each alert on its own, firing and resolved', () => {
    const alerts = parseGeneric(fixture('generic-alerts.json'), ctx());
    expectValid(alerts);
    expect(alerts[0]).toMatchObject({
      dedup_key: 'backup-nightly-failed',
      status: 'firing',
      action: 'trigger',
      severity: 'critical',
      raw_severity: 'sev1',
      source: 'backup-cron',
      starts_at: '2026-11-29T02:00:00.000Z',
      ends_at: null,
      group_key: 'backup-cron',
      links: [{ href: 'https://ci.example/jobs/42', text: 'Job log' }],
    });
    expect(alerts[1]).toMatchObject({
      dedup_key: 'cert-expiry-shop',
      status: 'resolved',
      action: 'resolve',
      severity: 'medium',
      ends_at: '2026-11-29T08:00:00.000Z',
    });
  });

  it('defaults: firing, source generic, the integration severity', () => {
    const [a] = parseGeneric({ alerts: [{ dedup_key: 'k', title: 't' }] }, ctx({ default_severity: 'high' }));
    expectValid([a]);
    expect(a).toMatchObject({
      status: 'firing',
      source: 'generic',
      group_key: 'generic',
      severity: 'high',
      raw_severity: null,
      labels: {},
      starts_at: null,
    });
    // An empty source names nothing (and would group every such alert together as ""): the default, as if absent.
    for (const source of ['', '  ']) {
      const [b] = parseGeneric({ alerts: [{ dedup_key: 'k', title: 't', source }] }, ctx());
      expect(b).toMatchObject({ source: 'generic', group_key: 'generic' });
    }
  });

  it('group_key field, and group_by over it', () => {
    const body = { alerts: [{ dedup_key: 'k', title: 't', group_key: 'g1', labels: { env: 'prod' } }] };
    expect(parseGeneric(body, ctx())[0]?.group_key).toBe('g1');
    expect(parseGeneric(body, ctx({ group_by: '{{ group_key }}-{{ labels.env }}' }))[0]?.group_key).toBe('g1-prod');
  });

  it('names each bad field', () => {
    const issues = issuesOf(() =>
      parseGeneric(
        { alerts: [{ title: '' }, { dedup_key: 'k'.repeat(256), title: 't', status: 'open', labels: { a: 1 } }] },
        ctx(),
      ),
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      'alerts[0].dedup_key',
      'alerts[0].title',
      'alerts[1].dedup_key',
      'alerts[1].labels.a',
      'alerts[1].status',
    ]);
  });

  it('an envelope of 1 to 1000 alerts; a bare alert is refused', () => {
    expect(issuesOf(() => parseGeneric({ alerts: [] }, ctx()))[0]?.path).toBe('alerts');
    const many = { alerts: Array.from({ length: 1001 }, (_, i) => ({ dedup_key: `k${i}`, title: 't' })) };
    expect(issuesOf(() => parseGeneric(many, ctx()))[0]?.message).toMatch(/at most 1000/);
    expect(issuesOf(() => parseGeneric({ dedup_key: 'k', title: 't' }, ctx()))[0]?.path).toBe('alerts');
  });
});

describe('ALERT_PARSERS', () => {
  it('has a parser for every kind', () => {
    expect(Object.keys(ALERT_PARSERS).sort()).toEqual(['alertmanager', 'datadog', 'generic', 'grafana', 'pagerduty']);
    expect(ALERT_PARSERS.generic(fixture('generic-alerts.json'), ctx())).toHaveLength(2);
  });
});
