// Severity mapping: the documented defaults, per-integration overrides, the default for missing/unknown, ranking.
import { describe, expect, it } from 'vitest';
import { IntegrationSettings } from '../../../schema/index.js';
import { atLeastSeverity, highestSeverity, mapSeverity, rankSeverity } from '../../../src/integrations/severity.js';

const settings = IntegrationSettings.parse({});

describe('mapSeverity', () => {
  it.each([
    ['critical', 'critical'],
    ['crit', 'critical'],
    ['page', 'critical'],
    ['P1', 'critical'],
    ['SEV1', 'critical'],
    ['error', 'high'],
    ['high', 'high'],
    ['major', 'high'],
    ['p2', 'high'],
    ['warning', 'medium'],
    ['warn', 'medium'],
    ['p3', 'medium'],
    ['low', 'low'],
    ['p4', 'low'],
    ['info', 'info'],
    ['none', 'info'],
    ['p5', 'info'],
  ] as const)('%s → %s', (raw, want) => {
    expect(mapSeverity(raw, settings)).toEqual({ severity: want, raw_severity: raw });
  });

  it('trims and ignores case, keeping the raw value as sent', () => {
    expect(mapSeverity('  Warning ', settings)).toEqual({ severity: 'medium', raw_severity: '  Warning ' });
  });

  it('missing or blank → the default, raw null', () => {
    for (const raw of [undefined, null, '', '   ']) {
      expect(mapSeverity(raw, settings)).toEqual({ severity: 'medium', raw_severity: null });
    }
  });

  it('unknown → the integration default, raw kept', () => {
    const s = IntegrationSettings.parse({ default_severity: 'low' });
    expect(mapSeverity('disaster', s)).toEqual({ severity: 'low', raw_severity: 'disaster' });
  });

  it('overrides win over the defaults, compared case-insensitively', () => {
    const s = IntegrationSettings.parse({ severity_map: { P2: 'critical', Disaster: 'critical' } });
    expect(mapSeverity('p2', s).severity).toBe('critical');
    expect(mapSeverity('DISASTER', s).severity).toBe('critical');
    expect(mapSeverity('p3', s).severity).toBe('medium');
  });
});

describe('ranking', () => {
  it('critical is highest, info lowest', () => {
    expect(rankSeverity('critical')).toBeGreaterThan(rankSeverity('high'));
    expect(rankSeverity('high')).toBeGreaterThan(rankSeverity('medium'));
    expect(rankSeverity('medium')).toBeGreaterThan(rankSeverity('low'));
    expect(rankSeverity('low')).toBeGreaterThan(rankSeverity('info'));
  });
  it('highestSeverity picks the most severe, undefined for none', () => {
    expect(highestSeverity(['low', 'critical', 'medium'])).toBe('critical');
    expect(highestSeverity([])).toBeUndefined();
  });
  it('atLeastSeverity gates by min_severity', () => {
    expect(atLeastSeverity('high', 'medium')).toBe(true);
    expect(atLeastSeverity('medium', 'medium')).toBe(true);
    expect(atLeastSeverity('low', 'medium')).toBe(false);
  });
});
