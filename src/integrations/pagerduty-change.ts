// Parses a PagerDuty Events API v2 change event (what tools send to /v2/change/enqueue: a deploy, a config push).
// Format source: PagerDuty Events API v2 docs, "Send a Change Event": `routing_key`; `payload` with `summary` (at most
// 1024 characters), optional `timestamp`, `source`, `custom_details`; optional `links` [{href, text}]. PagerDuty
// answers 202 `{status: "success", message: "Change event processed"}`. A change is not an alert: Warroom records
// it as a `log` event on the integration's active incidents, where it is evidence for the analyzer.
import { z } from 'zod';
import { MAX_TITLE } from '../../schema/index.js';
import {
  MAX_LINKS,
  SenderText,
  SenderTime,
  clip,
  clipTitle,
  isoOrNull,
  parsePayload,
  senderLink,
} from './parse-context.js';

const str = (max: number) =>
  z.string({ error: 'must be a string' }).max(max, { error: `must be at most ${max} characters` });

// Only PagerDuty's documented limit (summary, 1024) refuses; a longer source is cut and a link Warroom cannot keep
// is left out, since a refused change event is dropped by its sender for good.
export const PagerDutyChangeEvent = z.looseObject({
  routing_key: str(255).min(1, { error: 'must not be empty' }),
  payload: z.looseObject({
    summary: str(MAX_TITLE).min(1, { error: 'must not be empty' }),
    timestamp: SenderTime.optional(),
    source: SenderText.optional(),
    custom_details: z.unknown().optional(),
  }),
  links: z.array(z.looseObject({ href: SenderText, text: SenderText.optional() })).default([]),
});

/** A change event as Warroom records it. */
export interface ChangeEvent {
  summary: string;
  source: string;
  /** ISO-8601; null when the sender gave none (the time of receipt is used). */
  timestamp: string | null;
  details: Record<string, unknown>;
}

/** Validates a change event; throws AlertPayloadError naming each bad field. */
export function parsePagerDutyChange(payload: unknown): ChangeEvent {
  const e = parsePayload(PagerDutyChangeEvent, payload, 'PagerDuty change event');
  const links = e.links.flatMap((l) => senderLink(l.href, l.text || l.href) ?? []).slice(0, MAX_LINKS);
  const details: Record<string, unknown> = { links };
  if (e.payload.custom_details !== undefined) details.custom_details = e.payload.custom_details;
  return {
    summary: clipTitle(e.payload.summary),
    source: clip(e.payload.source || 'pagerduty', 200),
    timestamp: isoOrNull(e.payload.timestamp),
    details,
  };
}
