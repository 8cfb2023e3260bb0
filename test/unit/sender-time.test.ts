// Senders' times: ISO 8601 as senders write it (PagerDuty's `+0000`, no offset, a space), read the same on any server.
import { describe, expect, it } from 'vitest';
import { isoOrNull, senderTimeMs } from '../../src/integrations/parse-context.js';

describe('senderTimeMs and isoOrNull', () => {
  it('reads RFC 3339, PagerDuty’s documented +0000, ±HH and a space instead of T', () => {
    expect(isoOrNull('2015-07-17T08:42:58.315+0000')).toBe('2015-07-17T08:42:58.315Z');
    expect(isoOrNull('2015-07-17T10:42:58.315+02:00')).toBe('2015-07-17T08:42:58.315Z');
    expect(isoOrNull('2015-07-17T10:42:58+02')).toBe('2015-07-17T08:42:58.000Z');
    expect(isoOrNull('2015-07-17 08:42:58Z')).toBe('2015-07-17T08:42:58.000Z');
    expect(isoOrNull('2026-11-29T10:00:00.123456789Z')).toBe('2026-11-29T10:00:00.123Z');
    expect(isoOrNull('2026-11-29T10:00Z')).toBe('2026-11-29T10:00:00.000Z');
  });
  it('reads a time without offset as UTC, not as the server’s local time', () => {
    expect(isoOrNull('2026-12-01T22:00:00.123456')).toBe('2026-12-01T22:00:00.123Z');
  });
  it('is null (never a refusal) for what is not a time, Go’s zero time and times outside 1000-9999', () => {
    for (const t of [
      'yesterday',
      'Dec 25',
      '-1',
      '2026-13-01T00:00:00Z',
      // Days the calendar does not have: Date.parse rolled them over into the next month.
      '2026-02-30T10:00:00Z',
      '2026-02-29T10:00:00Z',
      '2026-04-31T10:00:00+02:00',
      '0001-01-01T00:00:00Z',
      '',
      undefined,
    ]) {
      expect(isoOrNull(t), String(t)).toBeNull();
    }
    expect(Number.isNaN(senderTimeMs('12 o’clock'))).toBe(true);
  });
});

describe('senders whose times are not text', () => {
  it('a PagerDuty timestamp given as a number is unknown, not a refusal', async () => {
    const { parsePagerDuty } = await import('../../src/integrations/pagerduty.js');
    const { IntegrationSettings } = await import('../../schema/index.js');
    const [a] = parsePagerDuty(
      {
        routing_key: 'k',
        event_action: 'trigger',
        payload: { summary: 's', source: 'x', severity: 'critical', timestamp: 1700000000 },
      },
      { settings: IntegrationSettings.parse({}) },
    );
    expect(a?.starts_at).toBeNull();
    expect(isoOrNull('2024-02-29T10:00:00Z')).toBe('2024-02-29T10:00:00.000Z');
  });
});
