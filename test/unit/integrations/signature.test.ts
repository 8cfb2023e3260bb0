// Grafana HMAC-SHA256 signature: good, bad, missing, and stale or missing timestamp.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GrafanaHmacSettings } from '../../../schema/index.js';
import {
  signGrafanaPayload,
  verifyGrafanaRequest,
  verifyGrafanaSignature,
} from '../../../src/integrations/signature.js';

const secret = 's3cret';
const body = '{"receiver":"warroom","status":"firing","alerts":[]}';
const now = () => 1_764_400_000_000; // ms
const ts = String(now() / 1000);

describe('verifyGrafanaSignature without a timestamp', () => {
  const good = createHmac('sha256', secret).update(body).digest('hex');
  it('accepts the hex HMAC of the body, in either case', () => {
    expect(signGrafanaPayload(secret, body)).toBe(good);
    expect(verifyGrafanaSignature({ secret, body, signature: good, useTimestamp: false })).toEqual({ ok: true });
    expect(
      verifyGrafanaSignature({ secret, body: Buffer.from(body), signature: good.toUpperCase(), useTimestamp: false })
        .ok,
    ).toBe(true);
  });
  it('refuses a wrong secret, a changed body, a missing or malformed signature', () => {
    const bad = createHmac('sha256', 'other').update(body).digest('hex');
    expect(verifyGrafanaSignature({ secret, body, signature: bad, useTimestamp: false })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifyGrafanaSignature({ secret, body: body + ' ', signature: good, useTimestamp: false })).toMatchObject({
      reason: 'bad_signature',
    });
    expect(verifyGrafanaSignature({ secret, body, signature: undefined, useTimestamp: false })).toMatchObject({
      reason: 'missing_signature',
    });
    expect(verifyGrafanaSignature({ secret, body, signature: 'abc', useTimestamp: false })).toMatchObject({
      reason: 'malformed_signature',
    });
  });
});

describe('verifyGrafanaSignature with a timestamp', () => {
  const good = createHmac('sha256', secret).update(`${ts}:${body}`).digest('hex');
  it('signs timestamp:body and accepts a fresh timestamp', () => {
    expect(signGrafanaPayload(secret, body, ts)).toBe(good);
    expect(verifyGrafanaSignature({ secret, body, signature: good, useTimestamp: true, timestamp: ts, now }).ok).toBe(
      true,
    );
  });
  it('accepts within 5 minutes either way, refuses beyond', () => {
    const at = (offsetS: number) => () => now() + offsetS * 1000;
    expect(
      verifyGrafanaSignature({ secret, body, signature: good, useTimestamp: true, timestamp: ts, now: at(299) }).ok,
    ).toBe(true);
    expect(
      verifyGrafanaSignature({ secret, body, signature: good, useTimestamp: true, timestamp: ts, now: at(-299) }).ok,
    ).toBe(true);
    expect(
      verifyGrafanaSignature({ secret, body, signature: good, useTimestamp: true, timestamp: ts, now: at(301) }),
    ).toMatchObject({ reason: 'stale_timestamp' });
    expect(
      verifyGrafanaSignature({ secret, body, signature: good, useTimestamp: true, timestamp: ts, now: at(-301) }),
    ).toMatchObject({ reason: 'stale_timestamp' });
  });
  it('refuses a missing or malformed timestamp, and a body-only signature', () => {
    expect(verifyGrafanaSignature({ secret, body, signature: good, useTimestamp: true, now })).toMatchObject({
      reason: 'missing_timestamp',
    });
    expect(
      verifyGrafanaSignature({ secret, body, signature: good, useTimestamp: true, timestamp: 'yesterday', now }),
    ).toMatchObject({ reason: 'malformed_timestamp' });
    const bodyOnly = createHmac('sha256', secret).update(body).digest('hex');
    expect(
      verifyGrafanaSignature({ secret, body, signature: bodyOnly, useTimestamp: true, timestamp: ts, now }),
    ).toMatchObject({ reason: 'bad_signature' });
  });
});

describe('verifyGrafanaRequest', () => {
  it('reads the configured headers case-insensitively', () => {
    const hmac = GrafanaHmacSettings.parse({ timestamp_header: 'X-Grafana-Alerting-Timestamp' });
    expect(hmac.signature_header).toBe('X-Grafana-Alerting-Signature');
    const headers = {
      'x-grafana-alerting-signature': signGrafanaPayload(secret, body, ts),
      'x-grafana-alerting-timestamp': ts,
    };
    expect(verifyGrafanaRequest(hmac, secret, headers, body, now).ok).toBe(true);
    expect(verifyGrafanaRequest(hmac, secret, {}, body, now)).toMatchObject({ reason: 'missing_signature' });
  });
});
