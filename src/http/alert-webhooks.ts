// Where monitoring systems post alerts: `POST /api/integrations/{id}/alerts` (every kind), and PagerDuty's own paths
// `POST /v2/enqueue` and `/v2/change/enqueue` at the root, routed by routing_key. Not tRPC procedures: a sender
// authenticates with the integration's secret, Grafana's signature covers the raw body, and each sender has its own
// idea of an answer. Mounted before API-key authentication and rate limiting: an integration's secret is its key,
// and a 429 would make Alertmanager, Grafana and Datadog drop the alerts for good (they retry 5xx only), so overload
// is a 503 with Retry-After, as for any failure of ours.
import { timingSafeEqual } from 'node:crypto';
import type { Context as HonoContext, Hono } from 'hono';
import type { Kysely } from 'kysely';
import {
  type DeliveryResult,
  type PagerDutyErrorResponse,
  type PagerDutyEventResponse,
  Uuid,
} from '../../schema/index.js';
import type { AlertService } from '../alerts/service.js';
import { integrationInfo } from '../alerts/sweeper.js';
import type { IntegrationInfo } from '../alerts/work.js';
import { findIntegration, findIntegrationBySecretHash } from '../db/integrations.js';
import type { Database, IntegrationRow } from '../db/types.js';
import { sha256 } from '../domain/keys.js';
import {
  ALERT_PARSERS,
  AlertPayloadError,
  type AlertPayloadIssue,
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

/** A refusal of a delivery: its status, what to tell the sender, and the issues (a 400 names each bad field). */
class Refusal extends Error {
  constructor(
    readonly status: 400 | 401 | 404,
    message: string,
    readonly issues: AlertPayloadIssue[] = [],
  ) {
    super(message);
  }
}

const equalSecret = (given: string, secret: string): boolean => {
  const a = Buffer.from(sha256(given), 'hex');
  const b = Buffer.from(sha256(secret), 'hex');
  return timingSafeEqual(a, b);
};

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

function parseJson(body: string): unknown {
  if (body.trim() === '') throw new Refusal(400, 'request body is empty; expected JSON');
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw new Refusal(400, `malformed JSON body: ${err instanceof SyntaxError ? err.message : 'it nests too deeply'}`);
  }
}

/**
 * The payload as logged: the integration's secret, wherever it appears (PagerDuty's routing_key is the secret), is
 * replaced in the text as received; the payload is not re-serialised (a hostile one may nest too deep for that).
 */
function loggable(body: string, secret: string): string {
  return body.split(secret).join('[redacted]');
}

/**
 * Checks a delivery's credentials against the integration: Grafana's HMAC signature when the integration requires
 * one; otherwise the secret as a Bearer token or Basic password, or (pagerduty) as the payload's routing_key.
 */
function authenticate(c: HonoContext<AppEnv>, row: IntegrationRow, info: IntegrationInfo, body: string): void {
  const hmac = info.settings.hmac;
  if (hmac) {
    const verdict = verifyGrafanaRequest(hmac, row.secret, c.req.header(), body);
    if (!verdict.ok) throw new Refusal(401, verdict.message);
    return;
  }
  const given = presentedSecret(c);
  if (given !== undefined && equalSecret(given, row.secret)) return;
  if (info.kind === 'pagerduty' && given === undefined) {
    const routingKey = routingKeyOf(body);
    if (routingKey !== undefined && equalSecret(routingKey, row.secret)) return;
  }
  throw new Refusal(
    401,
    given === undefined
      ? 'no credentials: send the integration secret as Authorization: Bearer (or as the Basic auth password)'
      : 'the integration secret does not match',
  );
}

function routingKeyOf(body: string): string | undefined {
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v === 'object' && v !== null && 'routing_key' in v && typeof v.routing_key === 'string')
      return v.routing_key;
  } catch {
    // Not JSON: the parse step names the problem once authentication has passed or failed.
  }
  return undefined;
}

type Shape = 'warroom' | 'pagerduty';

export function mountAlertWebhooks(app: Hono<AppEnv>, deps: AlertWebhookDeps): void {
  /** Answers a refusal in the sender's terms, and logs it against the integration when there is one. */
  const refuse = async (
    c: HonoContext<AppEnv>,
    shape: Shape,
    err: unknown,
    log?: { integrationId: string; secret: string; body: string; authenticated?: boolean },
  ): Promise<Response> => {
    if (!(err instanceof Refusal) && !(err instanceof AlertPayloadError)) {
      const described = describeError(err, c.get('requestId'));
      // Transport refusals (413, 499, bad UTF-8) come before authentication: nothing unauthenticated is logged. A
      // failure of ours (500) is logged too, so "why was my alert ignored" has an answer; a 503 (the database is
      // away) could not be.
      if (log && described.status !== 503 && log.authenticated) {
        await deps.alerts.log(log.integrationId, {
          path: c.req.path,
          status: described.status,
          body: described.status === 413 ? '' : loggable(log.body, log.secret),
          error: described.body.message,
        });
      }
      return errorResponse(c, err);
    }
    const status = err instanceof Refusal ? err.status : 400;
    const issues = err.issues;
    if (log && status !== 404) {
      await deps.alerts.log(log.integrationId, {
        path: c.req.path,
        status,
        // A refused secret's payload is not kept: nothing unauthenticated is stored beyond the fact of it.
        body: status === 401 ? '' : loggable(log.body, log.secret),
        error: err.message,
      });
    }
    if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="warroom-integration"');
    if (shape === 'pagerduty') {
      const body: PagerDutyErrorResponse = {
        status: 'invalid event',
        message: status === 401 ? 'Invalid routing key' : err.message,
        errors: issues.length > 0 ? issues.map((i) => `${i.path}: ${i.message}`) : [err.message],
      };
      return c.json(body, status);
    }
    const code = status === 400 ? 'BAD_REQUEST' : status === 401 ? 'UNAUTHORIZED' : 'NOT_FOUND';
    return c.json(
      {
        code,
        message: err.message,
        ...(issues.length > 0 ? { issues } : {}),
        request_id: c.get('requestId'),
      },
      status,
    );
  };

  /** Parses and handles an authenticated delivery; answers 202 in the sender's terms. */
  const accept = async (
    c: HonoContext<AppEnv>,
    row: IntegrationRow,
    info: IntegrationInfo,
    body: string,
    shape: Shape,
  ): Promise<Response> => {
    try {
      const payload = parseJson(body);
      const alerts = ALERT_PARSERS[info.kind](payload, { settings: info.settings, integrationId: info.id });
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
      if (!Uuid.safeParse(id).success) {
        throw new Refusal(400, 'invalid input: integration_id: must be a UUID', [
          { path: 'integration_id', message: 'must be a UUID' },
        ]);
      }
      row = await findIntegration(deps.db, id);
      if (!row) throw new Refusal(404, `integration ${id} not found`);
    } catch (err) {
      return refuse(c, 'warroom', err);
    }
    const info = integrationInfo(row);
    const shape: Shape = info.kind === 'pagerduty' ? 'pagerduty' : 'warroom';
    let body = '';
    try {
      body = await readBodyText(c, deps.maxBodyBytes);
      authenticate(c, row, info, body);
    } catch (err) {
      return refuse(c, shape, err, { integrationId: row.id, secret: row.secret, body });
    }
    return accept(c, row, info, body, shape);
  };

  /** PagerDuty's paths: the integration is the one whose secret is the event's routing_key. */
  const byRoutingKey =
    (change: boolean) =>
    async (c: HonoContext<AppEnv>): Promise<Response> => {
      let body: string;
      let row: IntegrationRow | undefined;
      try {
        body = await readBodyText(c, deps.maxBodyBytes);
        const payload = parseJson(body);
        const routingKey =
          typeof payload === 'object' && payload !== null && 'routing_key' in payload ? payload.routing_key : undefined;
        if (typeof routingKey !== 'string' || routingKey === '') {
          throw new Refusal(400, 'routing_key: must be the integration secret (a non-empty string)', [
            { path: 'routing_key', message: 'must be a non-empty string' },
          ]);
        }
        row = await findIntegrationBySecretHash(deps.db, sha256(routingKey));
        // Only a pagerduty integration takes its secret as a routing_key: another kind's secret here would skip its
        // own checks (a Grafana integration's required signature).
        if (!row || row.kind !== 'pagerduty') throw new Refusal(401, 'no pagerduty integration has this routing_key');
      } catch (err) {
        return refuse(c, 'pagerduty', err);
      }
      const info = integrationInfo(row);
      if (!change) return accept(c, row, info, body, 'pagerduty');
      try {
        const payload = parseJson(body);
        const event = parsePagerDutyChange(payload);
        await deps.alerts.receiveChange(info, event, { path: c.req.path, body: loggable(body, row.secret) });
        return c.json({ status: 'success', message: 'Change event processed' }, 202);
      } catch (err) {
        return refuse(c, 'pagerduty', err, {
          integrationId: row.id,
          secret: row.secret,
          body,
          authenticated: true,
        });
      }
    };

  const alertsPaths = ['/api/integrations/:integration_id/alerts', '/api/integrations/:integration_id/alerts/'];
  // Grafana's webhook contact point may be set to PUT.
  app.on(['POST', 'PUT'], alertsPaths, integrationAlerts);
  app.post('/v2/enqueue', byRoutingKey(false));
  app.post('/v2/change/enqueue', byRoutingKey(true));
  const wrongMethod = (allow: string) => (c: HonoContext<AppEnv>) =>
    errorResponse(
      c,
      new HttpError('METHOD_NOT_SUPPORTED', `${c.req.method} is not allowed on ${c.req.path}; use ${allow}`, {
        Allow: allow,
      }),
    );
  app.all(alertsPaths[0] ?? '', wrongMethod('POST, PUT'));
  app.all(alertsPaths[1] ?? '', wrongMethod('POST, PUT'));
  app.all('/v2/enqueue', wrongMethod('POST'));
  app.all('/v2/change/enqueue', wrongMethod('POST'));
}
