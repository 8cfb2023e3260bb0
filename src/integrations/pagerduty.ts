// Parses a PagerDuty Events API v2 alert event (what tools send to https://events.pagerduty.com/v2/enqueue), so
// anything that can page PagerDuty can send to Warroom unchanged.
//
// Format source: PagerDuty Events API v2 docs (developer.pagerduty.com, docs/events-API-v2/02-Trigger-Events,
// "Send an Alert Event"): `routing_key`; `event_action` trigger | acknowledge | resolve; `dedup_key` (at most 255
// characters; required for acknowledge and resolve; PagerDuty generates and returns one for a trigger without);
// `payload` (required for trigger) with `summary` (at most 1024 characters), `source`, `severity` critical |
// error | warning | info (any other value is mapped, not refused: see below), and optional `timestamp`, `component`, `group`, `class`, `custom_details`; top-level
// `client`, `client_url`, `links` [{href, text}], `images` [{src, href, alt}]. A success is answered 202 with
// `{status: "success", message: "Event processed", dedup_key}`: see pagerDutyAccepted.
//
// Rules (issue 16): identity is `dedup_key` within the integration (the caller scopes it); a trigger without one
// gets a generated key, which the caller must return; grouping key is `routing_key`, plus `/` + `payload.group`
// (else `payload.component`) when present. Labels, for silences and group_by: source, severity, component, group,
// class (those present). Events are one per request, so the result always holds exactly one alert.
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  MAX_DEDUP_KEY,
  MAX_TITLE,
  type AlertLink,
  type NormalizedAlert,
  type PagerDutyEventResponse,
} from '../../schema/index.js';
import {
  MAX_LINKS,
  type ParseContext,
  SenderText,
  SenderTime,
  clip,
  clipTitle,
  groupKeyer,
  isoOrNull,
  parsePayload,
  senderLink,
} from './parse-context.js';
import { mapSeverity } from './severity.js';

const str = (what: string, max: number) =>
  z.string({ error: 'must be a string' }).max(max, { error: `must be at most ${max} characters (${what})` });

// Only the limits PagerDuty documents refuse an event (summary 1024, dedup_key 255: "Send an Alert Event"); Warroom's
// own limits on the other fields cut or leave out instead, since PagerDuty's senders do not retry a 400 and would
// drop the event for good (a source of 300 characters: Uptime Kuma puts the monitor's URL there).
const PagerDutyPayload = z.looseObject({
  summary: str("PagerDuty's limit", MAX_TITLE).min(1, { error: 'must not be empty' }),
  source: SenderText.min(1, { error: 'must not be empty' }),
  // PagerDuty documents critical | error | warning | info, but senders do send other values: Alertmanager 0.25 sends
  // "" when its severity template renders empty (e.g. `{{ .CommonLabels.severity }}` for a group whose alerts differ),
  // and it drops a notification answered 4xx for good. So any text is taken and mapped (severity.ts); what no map
  // knows becomes the integration's default_severity.
  severity: SenderText,
  timestamp: SenderTime.optional(),
  component: SenderText.optional(),
  group: SenderText.optional(),
  class: SenderText.optional(),
  custom_details: z.unknown().optional(),
});

/** What Warroom keeps of the payload's free-text fields (source, severity, component, group, class, client). */
const MAX_LABEL = 255;

const SenderLinkInput = z.looseObject({ href: SenderText, text: SenderText.optional() });

/** One Events API v2 alert event. */
export const PagerDutyEvent = z
  .looseObject({
    routing_key: str('Warroom limit', 255).min(1, { error: 'must not be empty' }),
    event_action: z.enum(['trigger', 'acknowledge', 'resolve'], {
      error: 'must be one of trigger, acknowledge, resolve',
    }),
    dedup_key: str("PagerDuty's limit", MAX_DEDUP_KEY).min(1, { error: 'must not be empty' }).optional(),
    payload: PagerDutyPayload.optional(),
    client: SenderText.optional(),
    client_url: SenderText.optional(),
    links: z.array(SenderLinkInput).default([]),
    images: z
      .array(z.looseObject({ src: SenderText, href: SenderText.optional(), alt: SenderText.optional() }))
      .default([]),
  })
  .superRefine((e, c) => {
    if (e.event_action === 'trigger' && e.payload === undefined) {
      c.addIssue({ code: 'custom', path: ['payload'], message: 'is required for a trigger event' });
    }
    if (e.event_action !== 'trigger' && e.dedup_key === undefined) {
      c.addIssue({
        code: 'custom',
        path: ['dedup_key'],
        message: `is required for ${e.event_action === 'acknowledge' ? 'an' : 'a'} ${e.event_action} event`,
      });
    }
  });
export type PagerDutyEvent = z.infer<typeof PagerDutyEvent>;

/** 32 hex digits, like the keys PagerDuty generates. */
const defaultDedupKey = (): string => randomUUID().replaceAll('-', '');

/**
 * One Events API v2 event → exactly one NormalizedAlert. trigger → firing; acknowledge → still firing, action
 * `acknowledge`; resolve → resolved. A trigger without `dedup_key` gets `ctx.generateDedupKey()` (default: 32 random
 * hex digits); return it to the sender with pagerDutyAccepted. An acknowledge or resolve usually has no `payload`:
 * then title is the dedup_key, severity the integration default and raw_severity null, so the caller should update
 * the stored alert's status only, keeping its title and severity. Throws AlertPayloadError naming each bad field
 * (e.g. `payload.summary` over 1024 characters, `dedup_key` missing on a resolve).
 */
export function parsePagerDuty(payload: unknown, ctx: ParseContext): NormalizedAlert[] {
  const e = parsePayload(PagerDutyEvent, payload, 'PagerDuty event');
  const dedupKey = e.dedup_key ?? (ctx.generateDedupKey ?? defaultDedupKey)();
  const p = e.payload;
  const labels: Record<string, string> = {};
  if (p) {
    labels.source = clip(p.source, MAX_LABEL);
    labels.severity = clip(p.severity, MAX_LABEL);
    for (const k of ['component', 'group', 'class'] as const) {
      const v = p[k];
      if (v !== undefined && v !== '') labels[k] = clip(v, MAX_LABEL);
    }
  }
  const sub = p?.group || p?.component;
  // The routing key is the integration's secret: the group key (stored, shown in incident metadata) carries only a
  // digest of it, which groups the same way.
  const routing = `routing_key:${createHash('sha256').update(e.routing_key).digest('hex').slice(0, 16)}`;
  const senderGroup = sub ? `${routing}/${sub}` : routing;
  const { severity, raw_severity } = mapSeverity(p === undefined ? undefined : clip(p.severity, 100), ctx.settings);
  const status = e.event_action === 'resolve' ? 'resolved' : 'firing';
  const details: Record<string, unknown> = { event_action: e.event_action };
  if (e.dedup_key === undefined) details.dedup_key_generated = true;
  if (p?.custom_details !== undefined) details.custom_details = p.custom_details;
  if (p?.class !== undefined) details.class = clip(p.class, MAX_LABEL);
  if (e.client !== undefined) details.client = clip(e.client, MAX_LABEL);
  return [
    {
      dedup_key: dedupKey,
      status,
      action: e.event_action,
      title: clipTitle(p?.summary ?? dedupKey),
      severity,
      raw_severity,
      source: clip(p?.source ?? 'pagerduty', 200),
      labels,
      annotations: p ? { summary: p.summary } : {},
      starts_at: e.event_action === 'trigger' ? isoOrNull(p?.timestamp) : null,
      ends_at: status === 'resolved' ? isoOrNull(p?.timestamp) : null,
      group_key: groupKeyer(ctx)(labels, senderGroup),
      links: links(e),
      details,
    },
  ];
}

/** The 202 body PagerDuty answers an accepted event with, carrying the (possibly generated) dedup_key. */
export function pagerDutyAccepted(alert: Pick<NormalizedAlert, 'dedup_key'>): PagerDutyEventResponse {
  return { status: 'success', message: 'Event processed', dedup_key: alert.dedup_key };
}

function links(e: PagerDutyEvent): AlertLink[] {
  const out: Array<AlertLink | undefined> = [];
  if (e.client_url) out.push(senderLink(e.client_url, e.client || 'Source'));
  for (const l of e.links) out.push(senderLink(l.href, l.text || l.href));
  for (const i of e.images) out.push(senderLink(i.href || i.src, i.alt || 'Image'));
  return out.filter((l): l is AlertLink => l !== undefined).slice(0, MAX_LINKS);
}
