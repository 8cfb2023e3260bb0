// The alert webhooks in openapi.json. They are plain Hono routes, not procedures (src/http/alert-webhooks.ts says
// why), so the generator cannot see them; their paths are added here from the same Zod schemas the parsers use.
import type { OpenAPIObject } from 'trpc-to-openapi';
import { z, type ZodType } from 'zod';
import {
  DeliveryResult,
  ErrorBody,
  GenericAlertsInput,
  PagerDutyErrorResponse,
  PagerDutyEventResponse,
} from '../../schema/index.js';
import { AlertmanagerMessage } from '../integrations/alertmanager.js';
import { DatadogPayload } from '../integrations/datadog.js';
import { PagerDutyChangeEvent } from '../integrations/pagerduty-change.js';
import { PagerDutyEvent } from '../integrations/pagerduty.js';
import { createSchema } from 'zod-openapi';

type Json = Record<string, unknown>;

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
};

// Named once: each .meta() call makes a new schema, and the document should carry one component per name.
const PagerDutyEventDoc = PagerDutyEvent.meta({ id: 'PagerDutyEvent' });

const ChangeEventResponse = z
  .object({ status: z.literal('success'), message: z.string() })
  .meta({ id: 'PagerDutyChangeEventResponse' });

export function addWebhookPaths(doc: OpenAPIObject): void {
  const components = doc.components ?? {};
  doc.components = components;
  components.schemas ??= {};
  const schemas = components.schemas as Record<string, unknown>;
  const ref = (schema: ZodType, io: 'input' | 'output'): Json => {
    const { schema: out, components } = createSchema(schema, { io });
    Object.assign(schemas, components);
    return out as Json;
  };
  const json = (schema: Json) => ({ 'application/json': { schema } });
  const error = (description: string, body: Json = ref(ErrorBody, 'output'), headers?: Json) => ({
    description,
    ...(headers ? { headers } : {}),
    content: json(body),
  });
  const pdError = ref(PagerDutyErrorResponse, 'output');

  components.securitySchemes = {
    ...components.securitySchemes,
    ...{
      integrationSecret: {
        type: 'http',
        scheme: 'bearer',
        description:
          "The integration's secret (`whk_…`, from POST /api/integrations): as a Bearer token, or as the password " +
          "of Basic auth (any user name). Integrations with `settings.hmac` require Grafana's signature instead.",
      },
      integrationBasic: { type: 'http', scheme: 'basic', description: "Any user name; the integration's secret" },
    },
  };
  const paths = (doc.paths ?? {}) as Record<string, Json>;
  paths['/integrations/{integration_id}/alerts'] = {
    post: {
      operationId: 'alerts-receive',
      tags: ['integrations'],
      summary: 'Receive alerts from a monitoring system (the integration webhook)',
      description:
        "The body is the sender's own format, chosen by the integration's kind: alertmanager (Alertmanager's webhook, " +
        'version "4", or Grafana\'s, version "1"), grafana, pagerduty (an Events API v2 event), datadog (the JSON ' +
        "webhook template in the README), or generic (Warroom's own, GenericAlertsInput). Every alert is handled on " +
        'its own; the answer lists what happened to each. Refusals are 400 (malformed: nothing stored), 401 (bad or ' +
        'missing secret or signature), 404, 413; a failure of Warroom or its database is 503 with Retry-After, ' +
        'never 429, since Alertmanager, Grafana and Datadog retry only 5xx. Every delivery is logged ' +
        '(GET /integrations/{integration_id}/deliveries).',
      security: [{ integrationSecret: [] }, { integrationBasic: [] }, {}],
      parameters: [
        { name: 'integration_id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        {
          name: 'X-Grafana-Alerting-Signature',
          in: 'header',
          required: false,
          description: 'Hex HMAC-SHA256 of the body (or of `timestamp:body`), for integrations with `settings.hmac`',
          schema: { type: 'string' },
        },
      ],
      requestBody: {
        required: true,
        content: json({
          oneOf: [
            ref(GenericAlertsInput, 'input'),
            ref(AlertmanagerMessage.meta({ id: 'AlertmanagerWebhookMessage' }), 'input'),
            ref(PagerDutyEventDoc, 'input'),
            ref(DatadogPayload.meta({ id: 'DatadogWebhookPayload' }), 'input'),
          ],
        }),
      },
      responses: {
        202: {
          description: 'Accepted: each alert with its outcome (PagerDuty integrations: PagerDuty’s own answer)',
          content: json({ oneOf: [ref(DeliveryResult, 'output'), ref(PagerDutyEventResponse, 'output')] }),
        },
        400: error('Malformed payload; `issues` names each bad field. Nothing was stored'),
        401: error('Missing or wrong secret, or a missing, wrong or stale (±5 min) Grafana signature'),
        404: error('No such integration'),
        413: error('Body larger than MAX_BODY_BYTES'),
        503: error('The database is unavailable; retry after `Retry-After` seconds', undefined, RETRY_AFTER),
      },
    },
  };
  const root = [{ url: '/', description: 'At the server root, where PagerDuty senders expect them' }];
  paths['/v2/enqueue'] = {
    servers: root,
    post: {
      operationId: 'pagerduty-enqueue',
      tags: ['integrations'],
      summary: 'PagerDuty Events API v2: trigger, acknowledge or resolve an alert',
      description:
        'For senders that can change only PagerDuty’s host: the event goes to the pagerduty integration whose ' +
        'secret is its routing_key. A trigger without dedup_key gets one, returned in the answer.',
      security: [{}],
      requestBody: { required: true, content: json(ref(PagerDutyEventDoc, 'input')) },
      responses: {
        202: { description: 'Event processed', content: json(ref(PagerDutyEventResponse, 'output')) },
        400: error('Invalid event (PagerDuty’s error shape)', pdError),
        401: error('No integration has this routing_key', pdError),
        413: error('Body larger than MAX_BODY_BYTES'),
        503: error('The database is unavailable; retry after `Retry-After` seconds', undefined, RETRY_AFTER),
      },
    },
  };
  paths['/v2/change/enqueue'] = {
    servers: root,
    post: {
      operationId: 'pagerduty-change-enqueue',
      tags: ['integrations'],
      summary: 'PagerDuty Events API v2: a change event (a deploy, a config push)',
      description: 'Recorded as a `log` event on each active incident of the integration whose secret is routing_key.',
      security: [{}],
      requestBody: {
        required: true,
        content: json(ref(PagerDutyChangeEvent.meta({ id: 'PagerDutyChangeEvent' }), 'input')),
      },
      responses: {
        202: { description: 'Change event processed', content: json(ref(ChangeEventResponse, 'output')) },
        400: error('Invalid event (PagerDuty’s error shape)', pdError),
        401: error('No integration has this routing_key', pdError),
        413: error('Body larger than MAX_BODY_BYTES'),
        503: error('The database is unavailable; retry after `Retry-After` seconds', undefined, RETRY_AFTER),
      },
    },
  };
  doc.paths = paths as OpenAPIObject['paths'];
}
