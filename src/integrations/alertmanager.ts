// Parses Prometheus Alertmanager's webhook payload (and Grafana's, which has the same shape) into alerts.
//
// Format source: prometheus/alertmanager notify/webhook/webhook.go (`Message`: the embedded `template.Data` plus
// `version` "4", `groupKey`, `truncatedAlerts`) and template/template.go (`Data`: receiver, status, alerts,
// groupLabels, commonLabels, commonAnnotations, externalURL; `Alert`: status, labels, annotations, startsAt,
// endsAt, generatorURL, fingerprint). Grafana's webhook notifier sends the same with `version` "1" and extra
// fields (orgId, state, title, message; per alert values, valueString, silenceURL, dashboardURL, panelURL,
// imageURL): see grafana.ts.
//
// Rules (issue 16):
// - every alert is handled on its own with its own `status`; the message-level `status` decides no alert's status
//   (a message marked firing can hold resolved alerts). It says one thing about the group: "resolved", with no alert
//   left out (`truncatedAlerts` 0), means nothing of the group is firing as Alertmanager reports it, so alerts it
//   no longer names (silenced, inhibited) end (`group_resolved`);
// - `truncatedAlerts` alerts left out count as firing (`hidden_firing`), whatever the message's status, which
//   Alertmanager computes over the alerts it shows;
// - identity is the alert's `fingerprint`, or labelsFingerprint(labels) when it is absent or empty;
// - `endsAt` of Go's zero time `0001-01-01T00:00:00Z` means "not ended" (null); a firing alert's ends_at is null
//   whatever endsAt says (Prometheus sends a future endsAt on firing alerts as a resend deadline, not an end),
//   the raw value is kept in details.ends_at_raw;
// - grouping key is `groupKey`; when it is missing, `group_labels:` + labelsFingerprint(groupLabels);
// - severity is the `severity` label (else `priority`), mapped by severity.ts;
// - title: the `summary` annotation, else `title`, else the `alertname` label, else "Alert <fingerprint>";
// - source: the `instance` label, else `job`, else the sender kind.
// Delivery is at-least-once and re-sent every group_interval/repeat_interval (and twice by HA pairs), so callers
// must treat the same (dedup_key, status) again as a no-op: the parser does not and cannot deduplicate.
import { z } from 'zod';
import { MAX_ALERTS_PER_MESSAGE, type AlertLink, type NormalizedAlert } from '../../schema/index.js';
import { labelsFingerprint } from './fingerprint.js';
import { fitGroupKey } from './group-key.js';
import {
  type ParseContext,
  SenderTime,
  StringMap,
  clip,
  clipTitle,
  fitDedupKey,
  groupKeyer,
  isoOrNull,
  parsePayload,
  senderLink,
} from './parse-context.js';
import { mapSeverity } from './severity.js';

/** The webhook payload versions read here: Alertmanager's "4" and Grafana's "1". */
export const ALERTMANAGER_VERSIONS = ['4', '1'] as const;

// Any length: a link Warroom cannot keep is left out (senderLink), never a reason to refuse the message.
const Url = z.string().optional();

const WebhookAlert = z.looseObject({
  status: z.enum(['firing', 'resolved'], { error: 'must be "firing" or "resolved"' }),
  labels: StringMap,
  annotations: StringMap.default({}),
  startsAt: SenderTime.optional(),
  endsAt: SenderTime.optional(),
  generatorURL: Url,
  // Any length: one over the dedup key's limit is stored as its digest (fitDedupKey).
  fingerprint: z.string().optional(),
  // Grafana only.
  silenceURL: Url,
  dashboardURL: Url,
  panelURL: Url,
  imageURL: Url,
  values: z.record(z.string(), z.number().nullable()).nullable().optional(),
  valueString: z.string().optional(),
});
type WebhookAlert = z.infer<typeof WebhookAlert>;

/** Alertmanager's `Message` (webhook.go) with Grafana's additions, all optional. */
export const AlertmanagerMessage = z.looseObject({
  version: z.enum(ALERTMANAGER_VERSIONS, {
    error: 'must be "4" (Alertmanager webhook) or "1" (Grafana webhook)',
  }),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.string().optional(),
  receiver: z.string().default(''),
  groupLabels: StringMap.default({}),
  commonLabels: StringMap.default({}),
  commonAnnotations: StringMap.default({}),
  externalURL: z.string().default(''),
  alerts: z
    .array(WebhookAlert)
    .max(MAX_ALERTS_PER_MESSAGE, { error: `holds at most ${MAX_ALERTS_PER_MESSAGE} alerts; lower max_alerts` }),
  // Grafana only.
  orgId: z.number().int().optional(),
  state: z.string().optional(),
  title: z.string().optional(),
  message: z.string().optional(),
});
export type AlertmanagerMessage = z.infer<typeof AlertmanagerMessage>;

/**
 * Alertmanager webhook payload → one NormalizedAlert per element of `alerts`, in order.
 * Accepts Grafana's payload too (version "1"), reading its links; `source` and titles fall back to "alertmanager".
 * Throws AlertPayloadError naming each bad field (e.g. `alerts[2].status`).
 */
export function parseAlertmanager(payload: unknown, ctx: ParseContext): NormalizedAlert[] {
  return parseWebhookMessage(payload, ctx, 'alertmanager');
}

/** The shared reader behind parseAlertmanager and parseGrafana; `kind` names the sender in messages and defaults. */
export function parseWebhookMessage(
  payload: unknown,
  ctx: ParseContext,
  kind: 'alertmanager' | 'grafana',
): NormalizedAlert[] {
  const what = kind === 'grafana' ? 'Grafana payload' : 'Alertmanager payload';
  const msg = parsePayload(AlertmanagerMessage, payload, what);
  const senderGroup = msg.groupKey ?? `group_labels:${labelsFingerprint(msg.groupLabels)}`;
  const groupKey = groupKeyer(ctx);
  const sender = senderGroupOf(msg, senderGroup);
  return msg.alerts.map((a) => toAlert(a, msg, kind, ctx, groupKey(a.labels, senderGroup), sender));
}

/**
 * The message's group as one sender knows it: the sending Alertmanager or Grafana (`externalURL`, and Grafana's
 * `orgId`) with its `groupKey`. The groupKey alone names a route and group labels, which two Alertmanagers with the
 * same configuration (two clusters sending to one integration) share: one's "resolved" must not end the other's
 * alerts, which it would not send again before its repeat_interval (review, 2026-12-01). Fitted as a group key is.
 */
export function senderGroupOf(msg: AlertmanagerMessage, groupKey: string): string {
  return fitGroupKey(`${msg.externalURL}|${msg.orgId ?? ''}|${groupKey}`);
}

/**
 * Whether the message says its group has nothing firing: status resolved, every alert it shows resolved, none left
 * out, and a `groupKey` of Alertmanager's own (a script's message without one, or with an empty one, names no group
 * that could be whole).
 */
const groupResolved = (msg: AlertmanagerMessage): boolean =>
  msg.groupKey !== undefined &&
  msg.groupKey !== '' &&
  msg.status === 'resolved' &&
  msg.truncatedAlerts === 0 &&
  msg.alerts.every((a) => a.status === 'resolved');

function toAlert(
  a: WebhookAlert,
  msg: AlertmanagerMessage,
  kind: 'alertmanager' | 'grafana',
  ctx: ParseContext,
  groupKey: string,
  senderGroup: string,
): NormalizedAlert {
  const fingerprint = a.fingerprint !== undefined && a.fingerprint !== '' ? a.fingerprint : labelsFingerprint(a.labels);
  const { severity, raw_severity } = mapSeverity(a.labels.severity ?? a.labels.priority, ctx.settings);
  const title = a.annotations.summary || a.annotations.title || a.labels.alertname || `Alert ${fingerprint}`;
  const details: Record<string, unknown> = {
    fingerprint,
    receiver: msg.receiver,
    external_url: msg.externalURL,
    group_labels: msg.groupLabels,
  };
  if (a.fingerprint === undefined || a.fingerprint === '') details.fingerprint_from = 'labels';
  if (a.endsAt !== undefined) details.ends_at_raw = a.endsAt;
  if (msg.truncatedAlerts > 0) details.truncated_alerts = msg.truncatedAlerts;
  if (a.values !== undefined && a.values !== null) details.values = a.values;
  if (a.valueString !== undefined && a.valueString !== '') details.value_string = a.valueString;
  if (msg.orgId !== undefined) details.org_id = msg.orgId;
  return {
    dedup_key: fitDedupKey(fingerprint),
    status: a.status,
    action: a.status === 'firing' ? 'trigger' : 'resolve',
    title: clipTitle(title),
    severity,
    raw_severity,
    source: clip(a.labels.instance || a.labels.job || kind, 200),
    labels: a.labels,
    annotations: a.annotations,
    starts_at: isoOrNull(a.startsAt),
    ends_at: a.status === 'firing' ? null : isoOrNull(a.endsAt),
    group_key: groupKey,
    links: links(a),
    details,
    // Alertmanager computes the message's status over the alerts it sends, after cutting to max_alerts
    // (notify/webhook/webhook.go: truncateAlerts, then GetTemplateData), so "resolved" says nothing of the alerts
    // it left out: they count as firing until a message leaves none out.
    hidden_firing: msg.truncatedAlerts,
    sender_group: senderGroup,
    // The group as Alertmanager still reports it has nothing firing. Alertmanager leaves silenced and inhibited alerts
    // out of its messages (its MuteStage runs before the notifier) and never sends their resolve, so an alert of the
    // group this message does not name has stopped being reported and ends here.
    ...(groupResolved(msg) ? { group_resolved: true } : {}),
  };
}

function links(a: WebhookAlert): AlertLink[] {
  return [
    senderLink(a.generatorURL, 'Source'),
    senderLink(a.annotations.runbook_url, 'Runbook'),
    senderLink(a.dashboardURL, 'Dashboard'),
    senderLink(a.panelURL, 'Panel'),
    senderLink(a.silenceURL, 'Silence'),
    senderLink(a.imageURL, 'Image'),
  ].filter((l): l is AlertLink => l !== undefined);
}
