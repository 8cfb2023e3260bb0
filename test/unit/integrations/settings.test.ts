// Integration settings and silence matcher schemas: documented defaults and refusals.
import { describe, expect, it } from 'vitest';
import { IntegrationSettings, SilenceMatcher } from '../../../schema/index.js';
import { parseMatcher } from '../../../src/integrations/matchers.js';

describe('IntegrationSettings', () => {
  it('{} gets the documented defaults', () => {
    expect(IntegrationSettings.parse({})).toEqual({
      default_severity: 'medium',
      severity_map: {},
      min_alerts: 1,
      window: 300,
      min_severity: 'info',
      auto_resolve_after: 600,
      reopen_window: 1800,
    });
  });
  it('hmac defaults the signature header; timestamp header optional', () => {
    expect(IntegrationSettings.parse({ hmac: {} }).hmac).toEqual({ signature_header: 'X-Grafana-Alerting-Signature' });
  });
  it('refuses bad values, naming the field', () => {
    const r = IntegrationSettings.safeParse({
      auto_resolve_after: -1,
      severity_map: { p1: 'urgent' },
      hmac: { signature_header: 'bad header' },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'auto_resolve_after',
      'hmac.signature_header',
      'severity_map.p1',
    ]);
  });
});

describe('SilenceMatcher', () => {
  it('defaults to an equality matcher that matchers.ts compiles', () => {
    const m = SilenceMatcher.parse({ name: 'env', value: 'prod' });
    expect(m).toEqual({ name: 'env', value: 'prod', is_regex: false, is_equal: true });
    expect(parseMatcher(m).matches({ env: 'prod' })).toBe(true);
  });
  it('refuses a bad label name', () => {
    expect(SilenceMatcher.safeParse({ name: 'a-b', value: 'x' }).success).toBe(false);
  });
});
