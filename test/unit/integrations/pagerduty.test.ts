// PagerDuty Events v2: trigger/acknowledge/resolve, generated dedup keys, grouping, documented limits.
import { describe, expect, it } from 'vitest';
import { PagerDutyEventResponse } from '../../../schema/index.js';
import { pagerDutyAccepted, parsePagerDuty } from '../../../src/integrations/pagerduty.js';
import { ctx, expectValid, fixture, issuesOf } from './fixtures.js';

describe('parsePagerDuty', () => {
  it('a trigger becomes one firing alert', () => {
    const alerts = parsePagerDuty(fixture('pagerduty-trigger.json'), ctx());
    expectValid(alerts);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      dedup_key: 'checkout-db/disk-full',
      status: 'firing',
      action: 'trigger',
      title: 'Disk 95% full on checkout-db-1',
      severity: 'critical',
      raw_severity: 'critical',
      source: 'checkout-db-1.example',
      labels: {
        source: 'checkout-db-1.example',
        severity: 'critical',
        component: 'postgres',
        group: 'checkout',
        class: 'disk',
      },
      starts_at: '2026-11-29T10:00:00.000Z',
      ends_at: null,
      group_key: 'routing_key:3b1b5b815319d172/checkout',
      details: { custom_details: { free_bytes: 1073741824, mount: '/var/lib/postgresql' } },
    });
    expect(alerts[0]?.links).toEqual([
      { href: 'https://monitoring.example/checkout-db-1', text: 'Sample Monitoring Service' },
      { href: 'https://runbooks.example/disk-full', text: 'Runbook' },
      { href: 'https://monitoring.example/disk', text: 'Disk usage graph' },
    ]);
  });

  it('acknowledge keeps it firing; resolve resolves the same key', () => {
    const [ack] = parsePagerDuty(fixture('pagerduty-acknowledge.json'), ctx());
    const [res] = parsePagerDuty(fixture('pagerduty-resolve.json'), ctx());
    expectValid([ack, res]);
    expect(ack).toMatchObject({
      dedup_key: 'checkout-db/disk-full',
      status: 'firing',
      action: 'acknowledge',
      raw_severity: null,
    });
    expect(res).toMatchObject({ dedup_key: 'checkout-db/disk-full', status: 'resolved', action: 'resolve' });
  });

  it('a trigger without dedup_key gets a generated one, returned in the 202 body', () => {
    const [a] = parsePagerDuty(
      fixture('pagerduty-trigger-no-dedup-key.json'),
      ctx({}, { generateDedupKey: () => 'gen-1' }),
    );
    expect(a).toMatchObject({
      dedup_key: 'gen-1',
      severity: 'medium',
      group_key: 'routing_key:3b1b5b815319d172',
      details: { dedup_key_generated: true },
    });
    const body = pagerDutyAccepted({ dedup_key: a?.dedup_key ?? '' });
    expect(PagerDutyEventResponse.parse(body)).toEqual({
      status: 'success',
      message: 'Event processed',
      dedup_key: 'gen-1',
    });
    const [b] = parsePagerDuty(fixture('pagerduty-trigger-no-dedup-key.json'), ctx());
    expect(b?.dedup_key).toMatch(/^[0-9a-f]{32}$/);
  });

  it('groups by component when there is no group; group_by and severity_map override', () => {
    const p = fixture('pagerduty-trigger.json');
    delete (p.payload as Record<string, unknown>).group;
    expect(parsePagerDuty(p, ctx())[0]?.group_key).toBe('routing_key:3b1b5b815319d172/postgres');
    const [a] = parsePagerDuty(p, ctx({ group_by: '{{ labels.component }}', severity_map: { critical: 'high' } }));
    expect(a).toMatchObject({ group_key: 'postgres', severity: 'high', raw_severity: 'critical' });
  });

  it('acknowledge and resolve need a dedup_key; a trigger needs a payload', () => {
    const ack = fixture('pagerduty-acknowledge.json');
    delete ack.dedup_key;
    expect(issuesOf(() => parsePagerDuty(ack, ctx()))).toEqual([
      { path: 'dedup_key', message: 'is required for an acknowledge event' },
    ]);
    const trig = fixture('pagerduty-trigger.json');
    delete trig.payload;
    expect(issuesOf(() => parsePagerDuty(trig, ctx()))).toEqual([
      { path: 'payload', message: 'is required for a trigger event' },
    ]);
  });

  it('enforces the documented limits with a clear issue', () => {
    const p = fixture('pagerduty-trigger.json');
    p.dedup_key = 'k'.repeat(256);
    (p.payload as Record<string, unknown>).summary = 's'.repeat(1025);
    const issues = issuesOf(() => parsePagerDuty(p, ctx()));
    expect(issues).toContainEqual({ path: 'dedup_key', message: "must be at most 255 characters (PagerDuty's limit)" });
    expect(issues).toContainEqual({
      path: 'payload.summary',
      message: "must be at most 1024 characters (PagerDuty's limit)",
    });
  });

  it('names missing and invalid fields', () => {
    const p = fixture('pagerduty-trigger.json');
    delete p.routing_key;
    p.event_action = 'snooze';
    const payload = p.payload as Record<string, unknown>;
    delete payload.source;
    payload.severity = 42;
    const paths = issuesOf(() => parsePagerDuty(p, ctx()))
      .map((i) => i.path)
      .sort();
    expect(paths).toEqual(['event_action', 'payload.severity', 'payload.source', 'routing_key']);
  });

  it('maps a severity outside PagerDuty’s four instead of refusing it (Alertmanager sends "" for mixed groups)', () => {
    for (const [raw, want] of [
      ['', 'low'],
      ['sev1', 'critical'],
      ['whatever', 'low'],
    ] as const) {
      const p = fixture('pagerduty-trigger.json');
      (p.payload as Record<string, unknown>).severity = raw;
      expect(parsePagerDuty(p, ctx({ default_severity: 'low' }))[0]?.severity).toBe(want);
    }
  });
});
