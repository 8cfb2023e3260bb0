// Integrations, silences and deliveries on the wire: what the admin API takes and returns, and the webhook's answer.
// An integration's secret appears once, in CreatedIntegration (on create and on rotation).
import { z } from 'zod';
import { IntegrationKind, IntegrationSettings, SilenceMatcher } from './alerts.js';
import { Cursor, STORABLE_TEXT_ERROR, Timestamp, TimestampInput, Uuid, queryInt, storableText } from './common.js';

export const IntegrationName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}$/, {
  error: 'name must be 1 to 100 letters, digits, spaces or . _ @ - (starting with a letter or digit)',
});

export const Integration = z
  .object({
    id: Uuid,
    name: z.string(),
    kind: IntegrationKind,
    settings: IntegrationSettings,
    webhook_url: z.string().meta({
      description:
        'Where the sender posts: `/api/integrations/{id}/alerts`, relative to this server (prefix your external URL)',
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Integration' });
export type Integration = z.infer<typeof Integration>;

export const CreatedIntegration = Integration.extend({
  secret: z.string().meta({
    description:
      "The integration's secret, shown this once (and on rotation): a Bearer token, a Basic auth password, Grafana's HMAC key, or PagerDuty's routing_key",
  }),
}).meta({ id: 'CreatedIntegration' });
export type CreatedIntegration = z.infer<typeof CreatedIntegration>;

export const CreateIntegrationInput = z
  .strictObject({
    name: IntegrationName,
    kind: IntegrationKind,
    settings: IntegrationSettings.default(IntegrationSettings.parse({})),
  })
  .meta({ id: 'CreateIntegrationInput' });
export type CreateIntegrationInput = z.infer<typeof CreateIntegrationInput>;

export const IntegrationRef = z.object({ integration_id: Uuid });

export const UpdateIntegrationInput = z
  .strictObject({
    ...IntegrationRef.shape,
    name: IntegrationName.optional(),
    settings: z.record(z.string(), z.unknown()).optional().meta({
      description:
        'The IntegrationSettings fields to change, e.g. `{"min_alerts": 3}`; the others keep their values. `null` removes an optional field (group_by, hmac) or resets one with a default. The result is checked as IntegrationSettings (400 naming `settings.<field>`).',
    }),
  })
  .meta({ id: 'UpdateIntegrationInput' });
export type UpdateIntegrationInput = z.infer<typeof UpdateIntegrationInput>;

/** What happened to one alert of a delivery. */
export const ALERT_OUTCOMES = ['created', 'updated', 'duplicate', 'resolved', 'suppressed', 'pending'] as const;
export const AlertOutcome = z.enum(ALERT_OUTCOMES).meta({
  description:
    'created: opened an incident; updated: joined, re-fired on, escalated on or acknowledged an incident; duplicate: already known (same identity and start, not worse) or a late copy (a firing with an older start than the one stored, or a resolve that ended before it began), nothing written; resolved: marked resolved; suppressed: matched an active silence (or is below min_severity); pending: waiting for the creation gate',
});
export type AlertOutcome = z.infer<typeof AlertOutcome>;

export const AlertResult = z
  .object({
    dedup_key: z.string(),
    status: z.enum(['firing', 'resolved']),
    outcome: AlertOutcome,
    incident_id: Uuid.nullable().meta({ description: 'The incident the alert belongs to; null while it has none' }),
  })
  .meta({ id: 'AlertResult' });
export type AlertResult = z.infer<typeof AlertResult>;

export const DeliveryResult = z
  .object({
    delivery_id: Uuid,
    integration_id: Uuid,
    alerts: z.array(AlertResult).meta({ description: 'One entry per alert of the payload, in its order' }),
  })
  .meta({ id: 'DeliveryResult' });
export type DeliveryResult = z.infer<typeof DeliveryResult>;

export const Delivery = z
  .object({
    id: Uuid,
    integration_id: Uuid,
    received_at: Timestamp,
    path: z.string().meta({ description: 'The path the delivery arrived on' }),
    status: z.number().int().meta({ description: 'The HTTP status Warroom answered' }),
    size_bytes: z.number().int(),
    alerts: z.array(AlertResult),
    error: z.string().nullable().meta({ description: 'Why the delivery was refused, when it was' }),
    payload: z.string().meta({ description: 'The body as received, cut to 64 KiB' }),
    payload_truncated: z.boolean(),
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.infer<typeof Delivery>;

export const ListDeliveriesInput = IntegrationRef.extend({ limit: queryInt(1, 1000, 50) });

const text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, { error: `must be at most ${max} characters` })
    .refine(storableText, { error: STORABLE_TEXT_ERROR });

export const Silence = z
  .object({
    id: Uuid,
    matchers: z.array(SilenceMatcher),
    starts_at: Timestamp,
    ends_at: Timestamp,
    comment: z.string(),
    created_by: z.string(),
    created_at: Timestamp,
    updated_at: Timestamp,
    state: z
      .enum(['pending', 'active', 'expired'])
      .meta({ description: 'pending: starts later; active: holding alerts back now; expired: ended' }),
  })
  .meta({ id: 'Silence' });
export type Silence = z.infer<typeof Silence>;

export const CreateSilenceInput = z
  .strictObject({
    matchers: z
      .array(SilenceMatcher)
      .min(1, { error: 'a silence needs at least 1 matcher' })
      .max(50, { error: 'at most 50 matchers' })
      .meta({ description: 'Every matcher must match for an alert to be silenced (as in Alertmanager)' }),
    starts_at: TimestampInput.optional().meta({ description: 'Default: now' }),
    ends_at: TimestampInput.meta({ description: 'When the silence ends; must be after starts_at' }),
    comment: text(2000).min(1, { error: 'must not be empty' }),
    created_by: text(100).min(1, { error: 'must not be empty' }),
  })
  .meta({ id: 'CreateSilenceInput' });
export type CreateSilenceInput = z.infer<typeof CreateSilenceInput>;

export const SilenceRef = z.object({ silence_id: Uuid });

export const ListSilencesInput = z.object({
  state: z.enum(['pending', 'active', 'expired']).optional(),
  limit: queryInt(1, 500, 100),
  cursor: Cursor.meta({
    description:
      "Continue strictly after the last silence of the previous page: the opaque value from that response's " +
      '`Link: <…>; rel="next"` header (or tRPC `next_cursor`), with the same `state`. Ties on created_at are broken ' +
      'by id, so following `next` visits every silence of the list once.',
  }).optional(),
});
export type ListSilencesInput = z.infer<typeof ListSilencesInput>;

/** A page of silences for tRPC clients, which cannot read the REST `Link` header. */
export const SilencePage = z.object({
  items: z.array(Silence),
  next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
});
export type SilencePage = z.infer<typeof SilencePage>;

/** PagerDuty Events v2's 400 answer (its documented shape), so PagerDuty senders log something they understand. */
export const PagerDutyErrorResponse = z
  .object({
    status: z.literal('invalid event'),
    message: z.string(),
    errors: z.array(z.string()),
  })
  .meta({ id: 'PagerDutyErrorResponse' });
export type PagerDutyErrorResponse = z.infer<typeof PagerDutyErrorResponse>;
