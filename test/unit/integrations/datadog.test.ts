// Datadog webhook (recommended template): transitions, identity, labels from tags/scope, severity, errors.
import { describe, expect, it } from 'vitest';
import { datadogTransitionStatus, parseDatadog } from '../../../src/integrations/datadog.js';
import { ctx, expectValid, fixture, issuesOf } from './fixtures.js';

describe('parseDatadog', () => {
  it('Triggered → one firing alert keyed by $ALERT_CYCLE_KEY', () => {
    const alerts = parseDatadog(fixture('datadog-triggered.json'), ctx());
    expectValid(alerts);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      dedup_key: '7093848710289281231',
      status: 'firing',
      action: 'trigger',
      title: '[P2] [Triggered on {host:web-1,env:prod}] CPU load is high',
      severity: 'high',
      raw_severity: 'P2',
      source: 'web-1',
      labels: { env: 'prod', host: 'web-1', service: 'checkout', monitor_id: '12345678' },
      starts_at: '2026-11-29T10:00:00.000Z',
      ends_at: null,
      group_key: 'monitor:12345678',
      links: [{ href: 'https://app.datadoghq.com/event/event?id=7093848710289281231', text: 'Datadog' }],
    });
  });

  it('reads epoch and ISO dates only: anything else is an unknown time, not an invented one', () => {
    const at = (date: string): unknown =>
      parseDatadog({ ...fixture('datadog-triggered.json'), date, last_updated: '' }, ctx())[0]?.starts_at;
    expect(at('1795946400000')).toBe('2026-11-29T10:00:00.000Z');
    expect(at('1795946400')).toBe('2026-11-29T10:00:00.000Z');
    expect(at('2026-11-29T10:00:00Z')).toBe('2026-11-29T10:00:00.000Z');
    expect(at('2026-11-29T11:00:00+01:00')).toBe('2026-11-29T10:00:00.000Z');
    // Walkthrough, 2026-12-01: each of these became a day in 2001.
    for (const garbage of ['-1', 'Dec 25', 'foo 12', 'yesterday', '12/25']) expect(at(garbage)).toBeNull();
    // A date alone is midnight UTC; a day the calendar lacks is no date (it rolled over into the next month).
    expect(at('2026-11-29')).toBe('2026-11-29T00:00:00.000Z');
    for (const bad of ['2026-02-30', '2026-02-29T10:00:00Z', '2026-04-31']) expect(at(bad)).toBeNull();
  });

  it('takes a message of any length and leaves out a link too long to keep (it was cut into a broken one)', () => {
    const [a] = parseDatadog(
      {
        ...fixture('datadog-triggered.json'),
        message: 'm'.repeat(20_000),
        link: `https://app.datadoghq.com/${'x'.repeat(3000)}`,
      },
      ctx(),
    );
    expect(a?.annotations.description).toHaveLength(20_000);
    expect(a?.links).toEqual([]);
  });

  it('Recovered resolves the same identity', () => {
    const [a] = parseDatadog(fixture('datadog-recovered.json'), ctx());
    expect(a).toMatchObject({
      dedup_key: '7093848710289281231',
      status: 'resolved',
      action: 'resolve',
      starts_at: null,
      ends_at: '2026-11-29T10:20:00.000Z',
    });
  });

  it('without a cycle key, identity is monitor id + sorted scope', () => {
    const p = fixture('datadog-triggered.json');
    delete p.cycle_key;
    p.monitor_id = 12345678;
    p.scope = 'host:web-1, env:prod';
    const [a] = parseDatadog(p, ctx());
    expect(a?.dedup_key).toBe('12345678:env:prod,host:web-1');
    p.scope = 'env:prod,host:web-1';
    expect(parseDatadog(p, ctx())[0]?.dedup_key).toBe('12345678:env:prod,host:web-1');
  });

  it('an unfilled $VARIABLE reads as empty; priority falls back to $ALERT_TYPE', () => {
    const p = fixture('datadog-triggered.json');
    p.cycle_key = '$ALERT_CYCLE_KEY';
    p.priority = '';
    p.alert_type = 'warning';
    const [a] = parseDatadog(p, ctx());
    expect(a).toMatchObject({ dedup_key: '12345678:env:prod,host:web-1', severity: 'medium', raw_severity: 'warning' });
  });

  it('group_by overrides the monitor grouping', () => {
    expect(
      parseDatadog(fixture('datadog-triggered.json'), ctx({ group_by: '{{ labels.service }}' }))[0]?.group_key,
    ).toBe('checkout');
  });

  it('names missing and unknown fields', () => {
    const p = fixture('datadog-triggered.json');
    delete p.transition;
    delete p.title;
    delete p.cycle_key;
    delete p.monitor_id;
    expect(issuesOf(() => parseDatadog(p, ctx())).map((i) => i.path)).toEqual(['transition', 'title', 'cycle_key']);
    const q = fixture('datadog-triggered.json');
    q.transition = 'Exploded';
    expect(issuesOf(() => parseDatadog(q, ctx()))[0]).toMatchObject({
      path: 'transition',
      message: expect.stringMatching(/unknown/),
    });
    const r = fixture('datadog-triggered.json');
    r.tags = ['env:prod'];
    expect(issuesOf(() => parseDatadog(r, ctx()))[0]?.path).toBe('tags');
  });
});

describe('datadogTransitionStatus', () => {
  it.each([
    ['Triggered', 'firing'],
    ['Re-Triggered', 'firing'],
    ['Warn', 'firing'],
    ['Re-Warn', 'firing'],
    ['No Data', 'firing'],
    ['Re-No Data', 'firing'],
    ['Renotify', 'firing'],
    ['Re-Notification', 'firing'],
    ['Recovered', 'resolved'],
    ['Warn Recovered', 'resolved'],
    ['No Data Recovered', 'resolved'],
    ['Paused', undefined],
  ] as const)('%s → %s', (t, want) => {
    expect(datadogTransitionStatus(t)).toBe(want);
  });
});
