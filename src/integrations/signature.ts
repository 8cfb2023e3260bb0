// Verifies Grafana Alerting's webhook HMAC-SHA256 signature.
//
// Format, from Grafana's webhook notifier docs ("HMAC signature", grafana.com/docs/grafana/latest/alerting/
// configure-notifications/manage-contact-points/integrations/webhook-notifier/): Grafana computes HMAC-SHA256
// with the shared secret over the request body, or, when a timestamp header is configured, over
// `timestamp + ":" + body` with the Unix timestamp (seconds) sent in that header. The signature travels as a hex
// string in the signature header, `X-Grafana-Alerting-Signature` unless configured otherwise. The same in code:
// grafana/alerting's HMACRoundTripper (Go package `http`): timestamp = strconv.FormatInt(now.Unix(), 10), written
// to the MAC before ":" and the body; signature = hex.EncodeToString(mac.Sum(nil)). We additionally
// refuse timestamps more than ±5 minutes from now, against replay.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { GrafanaHmacSettings } from '../../schema/index.js';

/** How far a signed timestamp may be from now, in seconds. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export type SignatureFailure =
  | 'missing_signature'
  | 'malformed_signature'
  | 'bad_signature'
  | 'missing_timestamp'
  | 'malformed_timestamp'
  | 'stale_timestamp';

export type SignatureResult = { ok: true } | { ok: false; reason: SignatureFailure; message: string };

export interface VerifySignatureInput {
  /** The shared secret configured in Grafana's contact point. */
  secret: string;
  /** The raw request body exactly as received (bytes or UTF-8 text); never a re-serialised JSON value. */
  body: Buffer | Uint8Array | string;
  /** The signature header's value (hex), undefined when absent. */
  signature: string | undefined;
  /** Whether a timestamp header is configured; then `timestamp` must be present and recent. */
  useTimestamp: boolean;
  /** The timestamp header's value (Unix seconds), undefined when absent. */
  timestamp?: string | undefined;
  /** Clock in milliseconds since the epoch; injectable for tests. Default Date.now. */
  now?: () => number;
}

const fail = (reason: SignatureFailure, message: string): SignatureResult => ({ ok: false, reason, message });

/** Hex HMAC-SHA256 over `body`, or over `timestamp:body` when a timestamp is given: what Grafana sends. */
export function signGrafanaPayload(secret: string, body: Buffer | Uint8Array | string, timestamp?: string): string {
  const mac = createHmac('sha256', secret);
  if (timestamp !== undefined) mac.update(`${timestamp}:`, 'utf8');
  mac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  return mac.digest('hex');
}

/**
 * Check a Grafana webhook signature. Never throws: returns `{ok: true}` or the reason it failed (a caller answers
 * 401 for any failure). The comparison is constant-time over the 32 digest bytes.
 */
export function verifyGrafanaSignature(input: VerifySignatureInput): SignatureResult {
  const sig = input.signature?.trim();
  if (sig === undefined || sig === '') return fail('missing_signature', 'the signature header is missing');
  if (!/^[0-9a-fA-F]{64}$/.test(sig)) return fail('malformed_signature', 'the signature must be 64 hex characters');
  let ts: string | undefined;
  if (input.useTimestamp) {
    ts = input.timestamp?.trim();
    if (ts === undefined || ts === '') return fail('missing_timestamp', 'the timestamp header is missing');
    if (!/^\d{1,12}$/.test(ts)) return fail('malformed_timestamp', 'the timestamp must be Unix seconds');
    const nowSeconds = (input.now ?? Date.now)() / 1000;
    if (Math.abs(nowSeconds - Number(ts)) > SIGNATURE_TOLERANCE_SECONDS) {
      return fail('stale_timestamp', `the timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} seconds from now`);
    }
  }
  const want = Buffer.from(signGrafanaPayload(input.secret, input.body, ts), 'hex');
  const got = Buffer.from(sig, 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    return fail('bad_signature', 'the signature does not match the body');
  }
  return { ok: true };
}

/**
 * The same check driven by an integration's `hmac` settings and the request's headers (looked up
 * case-insensitively; a repeated header's first value is used).
 */
export function verifyGrafanaRequest(
  hmac: GrafanaHmacSettings,
  secret: string,
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  body: Buffer | Uint8Array | string,
  now?: () => number,
): SignatureResult {
  return verifyGrafanaSignature({
    secret,
    body,
    signature: header(headers, hmac.signature_header),
    useTimestamp: hmac.timestamp_header !== undefined,
    timestamp: hmac.timestamp_header === undefined ? undefined : header(headers, hmac.timestamp_header),
    now,
  });
}

function header(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  name: string,
): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== want) continue;
    return typeof v === 'string' ? v : v?.[0];
  }
  return undefined;
}
