// Parses a Datadog monitor notification sent by Datadog's Webhooks integration with Warroom's recommended payload.
//
// Format source: Datadog's Webhooks integration docs (docs.datadoghq.com/integrations/webhooks/, "Variables"):
// Datadog posts whatever JSON the user writes in the webhook's Payload field, with `$VARIABLES` filled in. So the
// shape is ours to document. Set this as the webhook's custom payload (JSON, "Encode as form" off):
//
//   {
//     "cycle_key": "$ALERT_CYCLE_KEY",
//     "transition": "$ALERT_TRANSITION",
//     "priority": "$ALERT_PRIORITY",
//     "alert_type": "$ALERT_TYPE",
//     "title": "$EVENT_TITLE",
//     "monitor_id": "$ALERT_ID",
//     "scope": "$ALERT_SCOPE",
//     "message": "$EVENT_MSG",
//     "link": "$LINK",
//     "date": "$DATE",
//     "last_updated": "$LAST_UPDATED",
//     "tags": "$TAGS",
//     "hostname": "$HOSTNAME",
//     "event_id": "$ID",
//     "org": "$ORG_NAME"
//   }
//
// and mention `@webhook-<name>` in each monitor's message. Only `transition`, `title` and one of `cycle_key` /
// `monitor_id` are required; every value may be a string or a number (an unquoted `$ALERT_ID` is a number).
// A value that is still a literal `$VARIABLE` (Datadog had nothing to put there) reads as empty.
//
// Rules (issue 16):
// - status from `$ALERT_TRANSITION` (compared case-insensitively, spaces/dashes ignored): any value containing
//   "recovered" (Recovered, Warn Recovered, No Data Recovered...) or "resolved"/"ok" → resolved; Triggered,
//   Re-Triggered, Warn, Re-Warn, No Data, Re-No Data, Renotify, Re-Notification, Alert, Error, Warning → firing;
//   anything else is refused naming `transition`, so a mistyped template shows up in Datadog's webhook log;
// - identity: `$ALERT_CYCLE_KEY` (links a trigger to its recovery), else `monitor_id` + `:` + the scope's tags sorted
//   and comma-joined (`12345:env:prod,host:web-1`), hashed when over 255 characters;
// - grouping key: the monitor id (`monitor:12345`), else the identity;
// - severity: `$ALERT_PRIORITY` (P1..P5) through severity.ts, else `$ALERT_TYPE` (error, warning, info);
// - labels: the `key:value` tags of `$TAGS`, then of `$ALERT_SCOPE` (scope wins), plus `monitor_id`; bare tags
//   without `:` are kept in details.tags only;
// - times: `$DATE` / `$LAST_UPDATED` as epoch milliseconds (or seconds, or an ISO 8601 date); firing →
//   starts_at, resolved → ends_at. Unreadable dates are null, the raw text kept in details.
import { z } from 'zod';
import type { AlertLink, AlertStatus, NormalizedAlert } from '../../schema/index.js';
import { alertPayloadError } from './errors.js';
import {
  type ParseContext,
  clip,
  clipTitle,
  fitDedupKey,
  groupKeyer,
  calendarDate,
  parsePayload,
  senderLink,
  senderTimeMs,
  storableTime,
} from './parse-context.js';
import { mapSeverity } from './severity.js';

/** A template value: string or number, as text; a literal unfilled `$VARIABLE` or blank reads as undefined. */
const Value = z
  // Any length: what Warroom keeps of each is cut where it is used (a title, a source, a key), never refused.
  .union([z.string(), z.number()], {
    error: 'must be a string or a number',
  })
  .transform((v) => {
    const s = String(v).trim();
    return s === '' || /^\$[A-Z][A-Z0-9_]*$/.test(s) ? undefined : s;
  })
  .optional();

/** The recommended template's fields (above), all optional here; parseDatadog says which it requires. */
export const DatadogPayload = z.looseObject({
  cycle_key: Value,
  transition: Value,
  priority: Value,
  alert_type: Value,
  title: Value,
  monitor_id: Value,
  scope: Value,
  message: Value,
  link: Value,
  date: Value,
  last_updated: Value,
  tags: Value,
  hostname: Value,
  event_id: Value,
  org: Value,
});
export type DatadogPayload = z.infer<typeof DatadogPayload>;

const FIRING = new Set([
  'triggered',
  'retriggered',
  'warn',
  'rewarn',
  'nodata',
  'renodata',
  'renotify',
  'renotification',
  'alert',
  'error',
  'warning',
]);

/** `$ALERT_TRANSITION` → status, or undefined when it is not one we know (see the rules at the top). */
export function datadogTransitionStatus(transition: string): AlertStatus | undefined {
  const t = transition.toLowerCase().replace(/[\s_-]+/g, '');
  if (t.includes('recovered') || t === 'resolved' || t === 'ok') return 'resolved';
  return FIRING.has(t) ? 'firing' : undefined;
}

/**
 * One Datadog webhook (one monitor notification) → exactly one NormalizedAlert. Throws AlertPayloadError naming
 * `transition`, `title` or `cycle_key` when they are missing or unknown, or any field of the wrong type.
 */
export function parseDatadog(payload: unknown, ctx: ParseContext): NormalizedAlert[] {
  const what = 'Datadog payload';
  const p = parsePayload(DatadogPayload, payload, what);
  const issues: { path: string; message: string }[] = [];
  const status = p.transition === undefined ? undefined : datadogTransitionStatus(p.transition);
  if (p.transition === undefined) issues.push({ path: 'transition', message: 'is required ($ALERT_TRANSITION)' });
  else if (status === undefined) {
    issues.push({
      path: 'transition',
      message: `unknown $ALERT_TRANSITION ${JSON.stringify(clip(p.transition, 100))}`,
    });
  }
  if (p.title === undefined) issues.push({ path: 'title', message: 'is required ($EVENT_TITLE)' });
  if (p.cycle_key === undefined && p.monitor_id === undefined) {
    issues.push({ path: 'cycle_key', message: 'is required ($ALERT_CYCLE_KEY), or monitor_id ($ALERT_ID)' });
  }
  if (issues.length > 0 || status === undefined || p.title === undefined) throw alertPayloadError(what, issues);

  const scopeTags = splitTags(p.scope);
  const identity = p.cycle_key ?? `${p.monitor_id ?? ''}:${[...scopeTags].sort().join(',')}`;
  const dedupKey = fitDedupKey(identity);
  const labels: Record<string, string> = {};
  for (const tag of [...splitTags(p.tags), ...scopeTags]) {
    const i = tag.indexOf(':');
    if (i > 0) labels[tag.slice(0, i)] = tag.slice(i + 1);
  }
  if (p.monitor_id !== undefined) labels.monitor_id = p.monitor_id;
  const { severity, raw_severity } = mapSeverity(p.priority ?? p.alert_type, ctx.settings);
  const at = epochOrDate(p.date) ?? epochOrDate(p.last_updated);
  const details: Record<string, unknown> = { transition: p.transition };
  for (const k of [
    'monitor_id',
    'cycle_key',
    'alert_type',
    'priority',
    'scope',
    'tags',
    'event_id',
    'org',
    'date',
    'last_updated',
  ] as const) {
    const v = p[k];
    if (v !== undefined) details[k] = v;
  }
  return [
    {
      dedup_key: dedupKey,
      status,
      action: status === 'firing' ? 'trigger' : 'resolve',
      title: clipTitle(p.title),
      severity,
      raw_severity,
      source: clip(p.hostname ?? 'datadog', 200),
      labels,
      annotations: p.message === undefined ? {} : { description: p.message },
      starts_at: status === 'firing' ? at : null,
      ends_at: status === 'resolved' ? at : null,
      group_key: groupKeyer(ctx)(labels, p.monitor_id !== undefined ? `monitor:${p.monitor_id}` : dedupKey),
      // A link too long to keep is left out: cut, it would be a broken one.
      links: [senderLink(p.link, 'Datadog')].filter((l): l is AlertLink => l !== undefined),
      details,
    },
  ];
}

function splitTags(s: string | undefined): string[] {
  if (s === undefined) return [];
  return s
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** A date alone (`2026-12-01`), read as midnight UTC. */
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Epoch milliseconds (12+ digits) or seconds (fewer), as Datadog's `$DATE` and `$LAST_UPDATED` are
 * (https://docs.datadoghq.com/integrations/webhooks/#variables), or an ISO 8601 date → ISO; otherwise null, also
 * outside 1000-01-01 … 9999-12-31 (storableTime).
 */
function epochOrDate(s: string | undefined): string | null {
  if (s === undefined) return null;
  if (/^\d{1,16}$/.test(s)) return storableTime(s.length >= 12 ? Number(s) : Number(s) * 1000);
  // Only ISO 8601 is read as a date (senderTimeMs): V8's Date.parse also reads anything loosely date-like ("Dec 25",
  // "foo 12", "-1" became days in 2001), inventing a time.
  const t = s.trim();
  if (!DATE_ONLY.test(t)) return storableTime(senderTimeMs(t));
  const [y, m, d] = t.split('-').map(Number) as [number, number, number];
  return calendarDate(y, m, d) ? storableTime(Date.UTC(y, m - 1, d)) : null;
}
