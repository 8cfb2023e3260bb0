// Alert integrations on the wire: the `generic` alert format, the common alert model every sender's parser returns,
// and an integration's settings. Senders' own formats (Alertmanager, Grafana, PagerDuty, Datadog) are validated in
// src/integrations/, next to the code that reads them; only Warroom's own shapes live here.
import { z } from 'zod';
import { STORABLE_TEXT_ERROR, SourceText, Timestamp, TimestampInput, storableText } from './common.js';

export const INTEGRATION_KINDS = ['alertmanager', 'grafana', 'pagerduty', 'datadog', 'generic'] as const;
export const IntegrationKind = z
  .enum(INTEGRATION_KINDS)
  .meta({ description: 'Which sender an integration accepts alerts from; fixes the payload format it parses' });
export type IntegrationKind = z.infer<typeof IntegrationKind>;

/** Warroom's five alert severities, highest first (see src/integrations/severity.ts for the ranking). */
export const ALERT_SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export const AlertSeverity = z
  .enum(ALERT_SEVERITIES)
  .meta({ description: "Warroom's alert severity, after mapping the sender's own value" });
export type AlertSeverity = z.infer<typeof AlertSeverity>;

export const ALERT_STATUSES = ['firing', 'resolved'] as const;
export const AlertStatus = z.enum(ALERT_STATUSES).meta({ description: 'Whether this alert is firing or has resolved' });
export type AlertStatus = z.infer<typeof AlertStatus>;

export const ALERT_ACTIONS = ['trigger', 'acknowledge', 'resolve'] as const;
export const AlertAction = z.enum(ALERT_ACTIONS).meta({
  description:
    'What the sender asked for: trigger (firing), resolve (resolved) or, from PagerDuty only, acknowledge (still firing)',
});
export type AlertAction = z.infer<typeof AlertAction>;

/** Most alerts one message may carry, for every kind (Alertmanager/Grafana: set `max_alerts` at or below this). */
export const MAX_ALERTS_PER_MESSAGE = 1000;
/** PagerDuty's documented limits, applied to the generic format too. */
export const MAX_DEDUP_KEY = 255;
export const MAX_TITLE = 1024;

const text = (max: number) =>
  z
    .string()
    .max(max, { error: `must be at most ${max} characters` })
    .refine(storableText, { error: STORABLE_TEXT_ERROR });

/** Label name → value. Names and values are plain strings, as in Prometheus. */
export const AlertLabels = z
  .record(text(256), text(4096))
  .meta({ description: 'Label name → value; what silences match and grouping templates read' });
export type AlertLabels = z.infer<typeof AlertLabels>;

export const AlertAnnotations = z
  .record(text(256), text(16_000))
  .meta({ description: 'Annotation name → free text (summary, description, runbook_url...)' });

/** An absolute http(s) URL: the only links kept (a `javascript:` link would run in a console that shows it). */
export const HTTP_URL = /^https?:\/\/\S+$/i;

export const AlertLink = z
  .object({
    href: text(2048)
      .regex(HTTP_URL, { error: 'must be an http:// or https:// URL' })
      .meta({ description: 'Absolute http(s) URL (other schemes, e.g. javascript:, are refused)' }),
    text: text(500).meta({ description: 'What the link is, e.g. "Runbook"' }),
  })
  .meta({ id: 'AlertLink' });
export type AlertLink = z.infer<typeof AlertLink>;

/**
 * One alert as every parser returns it, whatever the sender. Times are ISO-8601 UTC; `dedup_key` is the alert's
 * identity within its integration (deduplicate on (integration, dedup_key)); `group_key` picks the incident.
 */
export const NormalizedAlert = z
  .object({
    dedup_key: z.string().min(1).max(MAX_DEDUP_KEY).meta({
      description:
        "The alert's identity within its integration: Alertmanager/Grafana fingerprint, PagerDuty dedup_key, Datadog $ALERT_CYCLE_KEY (else monitor id + scope), generic dedup_key",
    }),
    status: AlertStatus,
    action: AlertAction,
    title: z.string().min(1).max(MAX_TITLE).meta({ description: 'One line saying what is wrong' }),
    severity: AlertSeverity,
    raw_severity: z
      .string()
      .nullable()
      .meta({ description: "The sender's own severity before mapping; null when it sent none" }),
    source: z.string().max(200).meta({ description: 'The system the alert is about, as the sender names it' }),
    labels: z.record(z.string(), z.string()).meta({ description: 'Label name → value' }),
    annotations: z.record(z.string(), z.string()).meta({ description: 'Annotation name → text' }),
    starts_at: Timestamp.nullable().meta({
      description: 'When the alert started firing; null when the sender did not say',
    }),
    ends_at: Timestamp.nullable().meta({ description: 'When the alert ended; null while firing' }),
    group_key: z
      .string()
      .max(1024)
      .meta({ description: "Grouping key: the sender's own grouping unless the integration's group_by overrides it" }),
    links: z.array(AlertLink).meta({ description: 'Links the sender attached (runbook, dashboard, silence...)' }),
    details: z
      .looseObject({})
      .meta({ description: "Everything else the sender said that is worth keeping, under the sender's own names" }),
    hidden_firing: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({
        description:
          "Alerts of its group the sender's message left out (Alertmanager's and Grafana's `truncatedAlerts` under " +
          "`max_alerts`), taken as still firing: the message's own status covers only the alerts it shows; absent when " +
          'the sender cannot say',
      }),
    sender_group: z
      .string()
      .max(1024)
      .optional()
      .meta({
        description:
          "The sender's own group when its messages carry whole groups (Alertmanager's and Grafana's `groupKey`), " +
          "whatever the integration's group_by makes of it",
      }),
    group_resolved: z
      .boolean()
      .optional()
      .meta({
        description:
          'True when the message says its sender group has nothing firing: status resolved, every alert shown ' +
          'resolved, none left out. Alerts of that group the message does not name are no longer reported ' +
          '(silenced, inhibited, or resolved while left out of a message) and end with it',
      }),
  })
  .meta({ id: 'NormalizedAlert' });
export type NormalizedAlert = z.infer<typeof NormalizedAlert>;

/** One alert in Warroom's own `generic` format. */
export const GenericAlert = z
  .object({
    dedup_key: text(MAX_DEDUP_KEY)
      .min(1, { error: 'must not be empty' })
      .meta({ description: "The alert's identity: the same key updates or resolves the same alert" }),
    status: AlertStatus.default('firing'),
    title: text(MAX_TITLE)
      .min(1, { error: 'must not be empty' })
      .meta({ description: 'One line saying what is wrong' }),
    severity: text(100).optional().meta({
      description:
        "The sender's severity, mapped to Warroom's five levels (critical/crit/page/p1/sev1 → critical, error/high/major/p2 → high, warning/warn/p3 → medium, low/p4 → low, info/none/p5 → info); missing → the integration's default",
    }),
    source: SourceText('generic', 'The system the alert is about'),
    group_key: text(1024)
      .optional()
      .meta({ description: "The sender's own grouping; default `source`. The integration's group_by overrides it" }),
    labels: AlertLabels.default({}),
    annotations: AlertAnnotations.default({}),
    starts_at: TimestampInput.optional().meta({ description: 'When the alert started; default: unknown (null)' }),
    ends_at: TimestampInput.optional().meta({ description: 'When the alert ended (resolved alerts); default null' }),
    links: z
      .array(AlertLink)
      .max(20, { error: 'at most 20 links' })
      .default([])
      .meta({ description: 'Links worth following (runbook, dashboard, job log), at most 20' }),
    details: z.looseObject({}).default({}).meta({ description: 'Any further structured data, kept as sent' }),
  })
  .meta({ id: 'GenericAlert' });
export type GenericAlert = z.infer<typeof GenericAlert>;

/**
 * The `generic` webhook body: always an envelope `{alerts: [...]}` (never a bare alert), 1 to 1000 alerts, each
 * handled on its own.
 */
export const GenericAlertsInput = z
  .object({
    alerts: z
      .array(GenericAlert)
      .min(1, { error: 'needs at least 1 alert' })
      .max(MAX_ALERTS_PER_MESSAGE, { error: `holds at most ${MAX_ALERTS_PER_MESSAGE} alerts` })
      .meta({ description: `1 to ${MAX_ALERTS_PER_MESSAGE} alerts, each handled on its own` }),
  })
  .meta({ id: 'GenericAlertsInput' });
export type GenericAlertsInput = z.infer<typeof GenericAlertsInput>;

/**
 * One `{{ ... }}` placeholder of a group_by template: `labels.NAME` (NAME: letters, digits, `_`, `.`, `-`, not
 * starting with a digit, `.` or `-`) or `group_key` (the sender's own grouping). Nothing else is evaluated.
 */
export const GROUP_KEY_PLACEHOLDER = /\{\{\s*(?:labels\.([A-Za-z_][A-Za-z0-9_.-]*)|(group_key))\s*\}\}/g;

/** True when every `{{`…`}}` in the template is a known placeholder and no brace pair is left open. */
export function isValidGroupByTemplate(template: string): boolean {
  const rest = template.replace(GROUP_KEY_PLACEHOLDER, '');
  return !rest.includes('{{') && !rest.includes('}}');
}

/**
 * One label matcher of a silence, in Alertmanager API v2's shape (src/integrations/matchers.ts compiles it; the
 * string form `name=~"value"` is accepted there too). Limits match matchers.ts: name 256, value 1024 characters.
 */
export const SilenceMatcher = z
  .strictObject({
    name: z
      .string()
      .min(1, { error: 'must not be empty' })
      .max(256, { error: 'must be at most 256 characters' })
      .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { error: 'must be a label name ([a-zA-Z_:][a-zA-Z0-9_:]*)' })
      .meta({ description: 'Label name' }),
    value: text(1024).meta({
      description:
        'Value to compare, or a regex (RE2 syntax, as Alertmanager; fully anchored; matched in linear time) when is_regex; a missing label reads as ""',
    }),
    is_regex: z.boolean().default(false).meta({ description: 'Match `value` as a regex (=~ / !~)' }),
    is_equal: z.boolean().default(true).meta({ description: 'false negates the match (!= / !~)' }),
  })
  .meta({ id: 'SilenceMatcher' });
export type SilenceMatcher = z.infer<typeof SilenceMatcher>;

/** An HTTP header name (RFC 9110 token). */
const HeaderName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'must be an HTTP header name' });

/** The longest `reopen_window` an integration may set (s): a week. Groups idle for longer are pruned (sweeper.ts). */
export const MAX_REOPEN_WINDOW_S = 7 * 86_400;

const seconds = (max: number, fallback: number, description: string) =>
  z
    .number({ error: 'must be a number of seconds' })
    .int({ error: 'must be a whole number of seconds' })
    .min(0, { error: 'must not be negative' })
    .max(max, { error: `must be at most ${max} seconds` })
    .default(fallback)
    .meta({ description });

// Strict like the settings around it: a misspelt `signatur_header` would otherwise turn signing on with the default
// header, and the sender's next delivery would be refused.
export const GrafanaHmacSettings = z
  .strictObject({
    signature_header: HeaderName.default('X-Grafana-Alerting-Signature').meta({
      description: "Header holding Grafana's hex HMAC-SHA256 of the body (Grafana's default header name)",
    }),
    timestamp_header: HeaderName.optional().meta({
      description:
        'Header holding the Unix timestamp (seconds) Grafana signs as `timestamp:body`; when set, a request more than 5 minutes from now is refused',
    }),
  })
  .meta({
    description: 'Require a Grafana HMAC-SHA256 signature; the secret itself is stored apart from the settings',
  });
export type GrafanaHmacSettings = z.infer<typeof GrafanaHmacSettings>;

/**
 * Per-integration behaviour. Every field has a default, so `{}` is a valid settings object. Strict: a misspelt
 * setting (`min_alert`) is a 400 naming it, not silently ignored.
 */
export const IntegrationSettings = z
  .strictObject({
    default_severity: AlertSeverity.default('medium').meta({
      description: 'Severity of an alert whose sender gave none, or one neither the map nor the defaults know',
    }),
    severity_map: z
      .record(text(100).min(1), AlertSeverity)
      .refine((m) => Object.keys(m).length <= 100, { error: 'at most 100 entries' })
      // Keys compare case-insensitively after trimming, so two that differ only so would be one key, and which
      // value won would depend on storage order.
      .refine((m) => new Set(Object.keys(m).map((k) => k.trim().toLowerCase())).size === Object.keys(m).length, {
        error: 'keys must differ when compared ignoring case and surrounding spaces',
      })
      .default({})
      .meta({
        description:
          'Sender value → Warroom severity, checked before the documented defaults; keys compare case-insensitively after trimming, e.g. {"p2": "critical"}',
      }),
    group_by: text(500)
      .refine(isValidGroupByTemplate, {
        error: 'only {{ labels.NAME }} and {{ group_key }} placeholders are allowed',
      })
      .optional()
      .meta({
        description:
          "Grouping key template over labels, e.g. `{{ labels.service }}/{{ labels.env }}`; a missing label renders empty. Default: the sender's own grouping",
      }),
    min_alerts: z
      .number()
      .int()
      .min(1, { error: 'must be at least 1' })
      .max(MAX_ALERTS_PER_MESSAGE, { error: `must be at most ${MAX_ALERTS_PER_MESSAGE}` })
      .default(1)
      .meta({ description: 'Firing alerts a group needs within `window` before it opens an incident' }),
    window: seconds(86_400, 300, 'Seconds within which `min_alerts` firing alerts must arrive'),
    min_severity: AlertSeverity.default('info').meta({
      description: 'Alerts below this severity are recorded but never open an incident',
    }),
    auto_resolve_after: seconds(
      30 * 86_400,
      600,
      'Seconds an incident stays in monitoring, once every alert of it has resolved, before it moves to resolved (quiet period); 0 = never',
    ),
    reopen_window: seconds(
      MAX_REOPEN_WINDOW_S,
      1800,
      'Seconds after an incident resolves during which a new alert of its group reopens it instead of opening another',
    ),
    hmac: GrafanaHmacSettings.optional(),
  })
  .meta({ id: 'IntegrationSettings' });
/** Settings as stored and used (defaults applied). */
export type IntegrationSettings = z.infer<typeof IntegrationSettings>;
export type IntegrationSettingsInput = z.input<typeof IntegrationSettings>;

/** PagerDuty's 202 answer to an accepted Events v2 event, which senders read the generated dedup_key from. */
export const PagerDutyEventResponse = z
  .object({
    status: z.literal('success').meta({ description: 'Always "success" on a 202' }),
    message: z.string().meta({ description: 'e.g. "Event processed"' }),
    dedup_key: z
      .string()
      .meta({ description: 'The dedup_key sent, or the one Warroom generated for a trigger without one' }),
  })
  .meta({ id: 'PagerDutyEventResponse' });
export type PagerDutyEventResponse = z.infer<typeof PagerDutyEventResponse>;
