// Where monitoring systems post alerts: `POST /api/integrations/{id}/alerts` (every kind), and PagerDuty's own paths
// `POST /v2/enqueue` and `/v2/change/enqueue` at the root, routed by routing_key. Not tRPC procedures: a sender
// authenticates with the integration's secret, Grafana's signature covers the raw body, and each sender has its own
// idea of an answer. Mounted before API-key authentication and rate limiting: an integration's secret is its key,
// and a 429 would make Alertmanager, Grafana and Datadog drop the alerts for good (they retry 5xx only), so overload
// is a 503 with Retry-After, as for any failure of ours.
import type { Context as HonoContext, Hono } from 'hono';
import type { Kysely } from 'kysely';
import {
  type DeliveryResult,
  type PagerDutyErrorResponse,
  type PagerDutyEventResponse,
  Uuid,
} from '../../schema/index.js';
import { MAX_LOGGED_PAYLOAD, type AlertService } from '../alerts/service.js';
import { integrationInfo, type IntegrationInfo } from '../alerts/work.js';
import { findIntegration, findIntegrationBySecretHash } from '../db/integrations.js';
import type { Database, IntegrationRow } from '../db/types.js';
import { AppError } from '../domain/errors.js';
import { matchesHash, sha256 } from '../domain/keys.js';
import {
  ALERT_PARSERS,
  AlertPayloadError,
  pagerDutyAccepted,
  parsePagerDutyChange,
  verifyGrafanaRequest,
} from '../integrations/index.js';
import type { AppEnv } from './env.js';
import { describeError, errorResponse, HttpError } from './errors.js';
import { readBodyText, requestHeader } from './node-io.js';

export interface AlertWebhookDeps {
  db: Kysely<Database>;
  alerts: AlertService;
  /** Larger bodies are refused with 413. */
  maxBodyBytes: number;
}

/** The secret a request presents: `Authorization: Bearer <secret>`, or the password of `Basic`. */
function presentedSecret(c: HonoContext<AppEnv>): string | undefined {
  const header = requestHeader(c, 'authorization');
  if (!header) return undefined;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/** A 400, naming the field when there is one. */
const invalid = (message: string, issue?: { path: string; message: string }): AppError =>
  new AppError('INVALID_INPUT', message, issue ? [issue] : undefined);

/** A body parsed once: its JSON, or the 400 to answer once the sender has been authenticated. */
type Parsed = { ok: true; value: unknown } | { ok: false; error: AppError };

function parseJson(body: string): Parsed {
  if (body.trim() === '') return { ok: false, error: invalid('request body is empty; expected JSON') };
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : 'it nests too deeply';
    return { ok: false, error: invalid(`malformed JSON body: ${detail}`) };
  }
}

/** The parsed JSON, or the 400 it was. */
function jsonOf(parsed: Parsed): unknown {
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

/** The payload's `routing_key` when it is a string. */
function routingKeyOf(parsed: Parsed): string | undefined {
  const v = parsed.ok ? parsed.value : undefined;
  return typeof v === 'object' && v !== null && 'routing_key' in v && typeof v.routing_key === 'string'
    ? v.routing_key
    : undefined;
}

/**
 * The payload as logged: the integration's secret, wherever it appears (PagerDuty's routing_key is the secret), is
 * replaced in the text as received; the payload is not re-serialised (a hostile one may nest too deep for that).
 */
function loggable(body: string, secret: string): string {
  // Only what the log keeps is scanned (its first MAX_LOGGED_PAYLOAD bytes, within as many characters, plus the
  // literal that straddles the cut): a 5 MB payload full of escapes took 73 ms to scan whole.
  return redactStrings(body.split(secret).join('[redacted]'), secret, MAX_LOGGED_PAYLOAD);
}

/**
 * `text` with every JSON string literal whose value holds `secret` written again with it redacted. JSON may write
 * the secret with escapes (`whk_\u0047…`), which the plain text replacement misses and JSON.parse undoes (security
 * review, 2026-12-02); a regex over keys lost its place at an escaped quote, so the literals are scanned in order,
 * in one pass. Text that is not JSON is scanned all the same: a string left open at the end is left as it is.
 */
function redactStrings(text: string, secret: string, scanChars: number): string {
  if (!text.includes('\\')) return text;
  let out = '';
  let from = 0;
  for (let i = text.indexOf('"'); i !== -1 && i <= scanChars; i = text.indexOf('"', i)) {
    let end = i + 1;
    while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
    if (end >= text.length) break;
    const literal = text.slice(i, end + 1);
    if (literal.includes('\\')) {
      let value: unknown;
      try {
        value = JSON.parse(literal);
      } catch {
        value = undefined;
      }
      if (typeof value === 'string' && value.includes(secret)) {
        out += text.slice(from, i) + JSON.stringify(value.split(secret).join('[redacted]'));
        from = end + 1;
      }
    }
    i = end + 1;
  }
  return out + text.slice(from);
}

/**
 * What a delivery's headers alone decide, before its body is read: `accepted` (the secret as a Bearer token or Basic
 * password matches), `needs body` (a Grafana HMAC signature, or a pagerduty integration's routing_key, is checked
 * against the body), or a throw of UNAUTHENTICATED (401): a wrong secret, or none where only a header can carry it.
 * Deciding first spares reading and parsing up to MAX_BODY_BYTES for anyone who knows an integration's URL
 * (security review, 2026-12-02: 8 MiB bodies without credentials took 0.44 s of CPU each).
 */
function authenticateHeaders(
  c: HonoContext<AppEnv>,
  row: IntegrationRow,
  info: IntegrationInfo,
): 'accepted' | 'needs body' {
  const hmac = info.settings.hmac;
  if (hmac) {
    // A request without the signature (or a required timestamp) header fails whatever its body: refused unread.
    const headers = c.req.header();
    const named = [hmac.signature_header, hmac.timestamp_header].filter((h): h is string => h !== undefined);
    if (named.some((h) => headers[h.toLowerCase()] === undefined)) {
      const verdict = verifyGrafanaRequest(hmac, row.secret, headers, '');
      throw new AppError('UNAUTHENTICATED', verdict.ok ? 'the signature header is missing' : verdict.message);
    }
    return 'needs body';
  }
  const given = presentedSecret(c);
  if (given !== undefined && matchesHash(given, row.secret_hash)) return 'accepted';
  if (info.kind === 'pagerduty' && given === undefined) return 'needs body';
  throw new AppError(
    'UNAUTHENTICATED',
    given === undefined
      ? 'no credentials: send the integration secret as Authorization: Bearer (or as the Basic auth password)'
      : 'the integration secret does not match',
  );
}

/**
 * The check authenticateHeaders left to the body, before the body is parsed: Grafana's HMAC signature, over the raw
 * text. Throws UNAUTHENTICATED (401).
 */
function authenticateSignature(c: HonoContext<AppEnv>, row: IntegrationRow, info: IntegrationInfo, body: string): void {
  const hmac = info.settings.hmac;
  if (!hmac) return;
  const verdict = verifyGrafanaRequest(hmac, row.secret, c.req.header(), body);
  if (!verdict.ok) throw new AppError('UNAUTHENTICATED', verdict.message);
}

/**
 * The check authenticateHeaders left to the parsed body of a pagerduty integration sent no Authorization header:
 * the payload's routing_key. Throws UNAUTHENTICATED (401).
 */
function authenticateRoutingKey(row: IntegrationRow, parsed: Parsed): void {
  const routingKey = routingKeyOf(parsed);
  if (routingKey !== undefined && matchesHash(routingKey, row.secret_hash)) return;
  throw new AppError(
    'UNAUTHENTICATED',
    'no credentials: send the integration secret as Authorization: Bearer (or as the Basic auth password)',
  );
}

/**
 * PagerDuty's Events API v2 refuses an event over 512 KB (developer.pagerduty.com, Events API v2 overview, "Event
 * size"), so no PagerDuty-style sender sends more: every body sent to a PagerDuty-style path is held to that, whether
 * its sender is known from a header or only from the routing_key inside it.
 */
export const PAGERDUTY_MAX_BODY_BYTES = 512 * 1024;

type Shape = 'warroom' | 'pagerduty';

/**
 * At most one refused secret (401) per integration is written to its delivery log in this long, per instance: anyone
 * who knows an integration's URL can send them, webhooks are not rate limited (senders retry only 5xx), and each
 * would otherwise be a database write and a row in the list a person reads to find their sender's deliveries. One
 * a minute still shows a misconfigured sender. The refusal itself is answered every time.
 */
export const REFUSED_LOG_INTERVAL_MS = 60_000;

export function mountAlertWebhooks(app: Hono<AppEnv>, deps: AlertWebhookDeps): void {
  /** When a refused secret was last logged, by integration id (performance.now()). */
  const refusalLogged = new Map<string, number>();
  const logRefusal = (integrationId: string): boolean => {
    const now = performance.now();
    const last = refusalLogged.get(integrationId);
    if (last !== undefined && now - last < REFUSED_LOG_INTERVAL_MS) return false;
    refusalLogged.set(integrationId, now);
    return true;
  };
  /**
   * Answers a refusal: the one error model's answer (describeError), or PagerDuty's own shape for a 400 or 401 on
   * its paths. Logs it against the integration when there is one: after authentication with the body (the secret
   * redacted), a refused secret without it (nothing unauthenticated is stored beyond the fact of it); not transport
   * refusals before authentication (413, bad UTF-8), nor a 503 (the database is away, so it could not be).
   */
  const refuse = async (
    c: HonoContext<AppEnv>,
    shape: Shape,
    error: unknown,
    log?: { integrationId: string; secret: string; body: string; authenticated?: boolean },
  ): Promise<Response> => {
    const err = error instanceof AlertPayloadError ? new AppError('INVALID_INPUT', error.message, error.issues) : error;
    const { status, body: described } = describeError(err, c.get('requestId'));
    if (log && status !== 503 && (log.authenticated || (status === 401 && logRefusal(log.integrationId)))) {
      await deps.alerts.log(log.integrationId, {
        path: c.req.path,
        status,
        body: log.authenticated ? loggable(log.body, log.secret) : '',
        error: described.message,
      });
    }
    if (shape === 'pagerduty' && (status === 400 || status === 401)) {
      const issues = described.issues ?? [];
      const body: PagerDutyErrorResponse = {
        status: 'invalid event',
        message: status === 401 ? 'Invalid routing key' : described.message,
        errors: issues.length > 0 ? issues.map((i) => `${i.path}: ${i.message}`) : [described.message],
      };
      return c.json(body, status);
    }
    return errorResponse(c, err);
  };

  /** Parses and handles an authenticated delivery; answers 202 in the sender's terms. */
  const accept = async (
    c: HonoContext<AppEnv>,
    row: IntegrationRow,
    info: IntegrationInfo,
    body: string,
    parsed: Parsed,
    shape: Shape,
  ): Promise<Response> => {
    try {
      const alerts = ALERT_PARSERS[info.kind](jsonOf(parsed), { settings: info.settings, integrationId: info.id });
      const { deliveryId, results } = await deps.alerts.receive(info, alerts, {
        path: c.req.path,
        body: loggable(body, row.secret),
      });
      if (shape === 'pagerduty' || info.kind === 'pagerduty') {
        const first = alerts[0];
        const answer: PagerDutyEventResponse = pagerDutyAccepted({ dedup_key: first?.dedup_key ?? '' });
        return c.json(answer, 202);
      }
      const answer: DeliveryResult = { delivery_id: deliveryId, integration_id: row.id, alerts: results };
      return c.json(answer, 202);
    } catch (err) {
      return refuse(c, shape, err, { integrationId: row.id, secret: row.secret, body, authenticated: true });
    }
  };

  const integrationAlerts = async (c: HonoContext<AppEnv>): Promise<Response> => {
    const id = c.req.param('integration_id') ?? '';
    let row: IntegrationRow | undefined;
    try {
      if (!Uuid.safeParse(id).success)
        throw invalid('invalid input: integration_id: must be a UUID', {
          path: 'integration_id',
          message: 'must be a UUID',
        });
      row = await findIntegration(deps.db, id);
      if (!row) throw new AppError('NOT_FOUND', `integration ${id} not found`);
    } catch (err) {
      return refuse(c, 'warroom', err);
    }
    const info = integrationInfo(row);
    const shape: Shape = info.kind === 'pagerduty' ? 'pagerduty' : 'warroom';
    let body = '';
    let parsed: Parsed;
    try {
      const verdict = authenticateHeaders(c, row, info);
      body = await readBodyText(
        c,
        info.kind === 'pagerduty' ? Math.min(deps.maxBodyBytes, PAGERDUTY_MAX_BODY_BYTES) : deps.maxBodyBytes,
      );
      if (verdict === 'needs body') authenticateSignature(c, row, info, body);
      parsed = parseJson(body);
      if (verdict === 'needs body' && !info.settings.hmac) authenticateRoutingKey(row, parsed);
    } catch (err) {
      return refuse(c, shape, err, { integrationId: row.id, secret: row.secret, body });
    }
    return accept(c, row, info, body, parsed, shape);
  };

  /** PagerDuty's paths: the integration is the one whose secret is the event's routing_key. */
  const byRoutingKey =
    (change: boolean) =>
    async (c: HonoContext<AppEnv>): Promise<Response> => {
      let body: string;
      let parsed: Parsed;
      let row: IntegrationRow | undefined;
      try {
        body = await readBodyText(c, Math.min(deps.maxBodyBytes, PAGERDUTY_MAX_BODY_BYTES));
        parsed = parseJson(body);
        jsonOf(parsed);
        const routingKey = routingKeyOf(parsed);
        if (routingKey === undefined || routingKey === '') {
          throw invalid('routing_key: must be the integration secret (a non-empty string)', {
            path: 'routing_key',
            message: 'must be a non-empty string',
          });
        }
        row = await findIntegrationBySecretHash(deps.db, sha256(routingKey));
        // Only a pagerduty integration takes its secret as a routing_key: another kind's secret here would skip its
        // own checks (a Grafana integration's required signature).
        if (!row || row.kind !== 'pagerduty') {
          throw new AppError('UNAUTHENTICATED', 'no pagerduty integration has this routing_key');
        }
        // Nor one that requires a signature (settings.hmac): here the routing_key alone would do, without the
        // signature's timestamp that refuses replays (security review, 2026-12-02).
        if (integrationInfo(row).settings.hmac) {
          throw new AppError(
            'UNAUTHENTICATED',
            `this integration requires signed requests (settings.hmac): send them to /api/integrations/${row.id}/alerts`,
          );
        }
      } catch (err) {
        return refuse(c, 'pagerduty', err);
      }
      const info = integrationInfo(row);
      if (!change) return accept(c, row, info, body, parsed, 'pagerduty');
      try {
        const event = parsePagerDutyChange(jsonOf(parsed));
        await deps.alerts.receiveChange(info, event, { path: c.req.path, body: loggable(body, row.secret) });
        return c.json({ status: 'success', message: 'Change event processed' }, 202);
      } catch (err) {
        return refuse(c, 'pagerduty', err, { integrationId: row.id, secret: row.secret, body, authenticated: true });
      }
    };

  const alertsPaths = ['/api/integrations/:integration_id/alerts', '/api/integrations/:integration_id/alerts/'];
  // Grafana's webhook contact point may be set to PUT.
  app.on(['POST', 'PUT'], alertsPaths, integrationAlerts);
  // With and without a trailing slash, as every documented path (src/rest/mount.ts).
  const enqueuePaths = ['/v2/enqueue', '/v2/enqueue/'];
  const changePaths = ['/v2/change/enqueue', '/v2/change/enqueue/'];
  app.on('POST', enqueuePaths, byRoutingKey(false));
  app.on('POST', changePaths, byRoutingKey(true));
  const wrongMethod = (allow: string) => (c: HonoContext<AppEnv>) =>
    errorResponse(
      c,
      new HttpError('METHOD_NOT_SUPPORTED', `${c.req.method} is not allowed on ${c.req.path}; use ${allow}`, {
        Allow: allow,
      }),
    );
  app.all(alertsPaths[0] ?? '', wrongMethod('POST, PUT'));
  app.all(alertsPaths[1] ?? '', wrongMethod('POST, PUT'));
  for (const path of [...enqueuePaths, ...changePaths]) app.all(path, wrongMethod('POST'));
}
