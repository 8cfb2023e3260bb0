// What every sender's parser is given, and the small steps they all share: clipping text to the alert model's
// limits, reading times, and applying the integration's group_by template.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  type AlertLink,
  type IntegrationSettings,
  MAX_DEDUP_KEY,
  MAX_TITLE,
  HTTP_URL,
  MAX_TIMESTAMP,
  MIN_TIMESTAMP,
  type NormalizedAlert,
  STORABLE_TEXT_ERROR,
  storableText,
} from '../../schema/index.js';
import { alertPayloadError, formatIssuePath } from './errors.js';
import { compileGroupKeyTemplate, fitGroupKey } from './group-key.js';
import { cutText } from '../text-cut.js';

/** The integration a payload arrived on. */
export interface ParseContext {
  /** The integration's settings, defaults applied (IntegrationSettings.parse output). */
  settings: IntegrationSettings;
  /** The integration's id, when the caller has one; parsers do not need it (identity is scoped by the caller). */
  integrationId?: string;
  /** PagerDuty only: makes the dedup_key for a trigger that has none. Default: a random UUID's 32 hex digits. */
  generateDedupKey?: () => string;
}

/** A sender's parser: validates `payload` and returns one normalized alert per alert it holds. */
export type AlertParser = (payload: unknown, ctx: ParseContext) => NormalizedAlert[];

/** `s` cut to `max` characters (code points, as the API counts them), ending in `…` when cut. */
export function clip(s: string, max: number): string {
  return cutText(s, max) === s ? s : `${cutText(s, max - 1)}…`;
}

/** A title on one line (runs of whitespace become one space), cut to the alert model's 1024 characters. */
export const clipTitle = (s: string): string => clip(s.replace(/\s+/g, ' ').trim(), MAX_TITLE);

/** A dedup key as given, or, past MAX_DEDUP_KEY characters, `sha256:` + its hex digest (stable, and fits). */
export function fitDedupKey(key: string): string {
  return key.length <= MAX_DEDUP_KEY ? key : `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/**
 * A sender's time, as text: read by isoOrNull, which makes what it cannot read null. Never a reason to refuse a
 * delivery (the sender would drop every alert of it for good, for a field that only says when): PagerDuty's own
 * examples write `2015-07-17T08:42:58.315+0000` (Events API v2 overview), which RFC 3339 does not allow.
 */
export const SenderTime = z
  .unknown()
  // A number, null or anything else that is not text is no time any of these senders documents: unknown, like text
  // that is not a time.
  .transform((v) => (typeof v === 'string' ? v : undefined));

/**
 * An ISO 8601 date and time as senders write them: `T` or a space between date and time, seconds and any number of
 * fraction digits optional, and an offset of `Z`, `±HH:MM`, `±HHMM` or `±HH`, or none, which is read as UTC (not as
 * the server's local time, which is what Date.parse would do).
 */
const SENDER_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/**
 * Epoch milliseconds of a sender's time (SENDER_TIME), or NaN when it is not one: the text is rewritten to the one
 * format ECMAScript defines (`YYYY-MM-DDTHH:mm:ss.sssZ` or `±HH:mm`), never left to Date.parse's guesses.
 */
export function senderTimeMs(text: string): number {
  const m = SENDER_TIME.exec(text.trim());
  if (!m) return NaN;
  const [, y, mo, d, h, mi, sec = '00', frac = '', , sign, oh, om = '00'] = m;
  if (!calendarDate(Number(y), Number(mo), Number(d))) return NaN;
  const offset = sign === undefined ? 'Z' : `${sign}${oh}:${om}`;
  return Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}.${frac.padEnd(3, '0').slice(0, 3)}${offset}`);
}

/** Whether year-month-day names a day of the calendar: Date.parse rolls 2026-02-30 over to March 2. */
export function calendarDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}

/**
 * ISO-8601 UTC (`…Z`, milliseconds) of a sender's time (senderTimeMs), or null for undefined, empty, text that is
 * not a time, or Go's zero time `0001-01-01T00:00:00Z`, which Alertmanager and Grafana send as "not ended".
 * Sub-millisecond digits are dropped. A time outside 1000-01-01 … 9999-12-31 UTC (what Warroom stores anywhere) is
 * also null: refusing it would make the sender drop every alert of its notification for good, for a field that
 * only says when.
 */
export function isoOrNull(time: string | undefined): string | null {
  if (time === undefined || time === '') return null;
  return storableTime(senderTimeMs(time));
}

/** ISO-8601 UTC of epoch milliseconds within Warroom's range (1000-01-01 … 9999-12-31), else null. */
export function storableTime(ms: number): string | null {
  if (!Number.isFinite(ms) || ms < MIN_TIMESTAMP || ms > MAX_TIMESTAMP) return null;
  return new Date(ms).toISOString();
}

/** Whether a sender's link may be kept: the generic format's rule (schema HTTP_URL), applied to trimmed text. */
export const isHttpUrl = (href: string): boolean => HTTP_URL.test(href.trim());

/** The longest link href kept (AlertLink's limit), and the longest link text. */
export const MAX_LINK_HREF = 2048;
const MAX_LINK_TEXT = 500;
/** Links kept of one alert; a sender's further links are left out. */
export const MAX_LINKS = 50;

/**
 * A link a sender attached, as an alert keeps it: an http(s) URL of at most MAX_LINK_HREF characters, its text cut
 * to 500; undefined otherwise. A longer URL is left out rather than refused (the sender would drop the whole
 * delivery for good: Alertmanager's generatorURL carries the rule's PromQL, which can run to kilobytes) or cut (a
 * cut URL is a broken link).
 */
export function senderLink(href: string | undefined, text: string): AlertLink | undefined {
  if (href === undefined) return undefined;
  const h = href.trim();
  if (!HTTP_URL.test(h) || cutText(h, MAX_LINK_HREF) !== h) return undefined;
  return { href: h, text: clip(text, MAX_LINK_TEXT) };
}

/**
 * Free text a sender's format allows at any length, where Warroom has a limit of its own (a source, a class, a
 * client name): taken whole and cut by the parser, never a reason to refuse the delivery.
 */
export const SenderText = z.string({ error: 'must be a string' });

/** A label/annotation map: string → string, as Prometheus defines them. */
export const StringMap = z.record(z.string(), z.string());

/**
 * The grouping-key function for one payload: the integration's group_by template over an alert's labels when set
 * (compiled once), else the sender's own key, fitted by fitGroupKey.
 */
export function groupKeyer(ctx: ParseContext): (labels: Readonly<Record<string, string>>, senderKey: string) => string {
  const template = ctx.settings.group_by;
  if (template === undefined) return (_labels, senderKey) => fitGroupKey(senderKey);
  const render = compileGroupKeyTemplate(template);
  return (labels, senderKey) => render({ labels, group_key: senderKey });
}

/** Deepest nesting a sender's payload may have (custom_details and the like); deeper is a 400, not a stack overflow. */
export const MAX_PAYLOAD_DEPTH = 64;
/** Most keys one object of a payload may hold (a label map of thousands is a mistake, not an alert). */
export const MAX_OBJECT_KEYS = 1000;

/**
 * Validate `payload` with `schema`: the parsed value, or AlertPayloadError naming every bad field. `what` names
 * the format in the message (e.g. "Alertmanager payload"). Checked first, naming the first offending path: strings
 * PostgreSQL cannot store (NUL, a lone surrogate), nesting deeper than MAX_PAYLOAD_DEPTH, objects with more than
 * MAX_OBJECT_KEYS keys, and `__proto__` keys (which a parser would silently drop): all 400s here, not 500s later.
 */
export function parsePayload<S extends z.ZodType>(schema: S, payload: unknown, what: string): z.output<S> {
  const bad = payloadProblem(payload);
  if (bad) throw alertPayloadError(what, [{ path: formatIssuePath(bad.path), message: bad.message }]);
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  throw alertPayloadError(
    what,
    parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })),
  );
}

/** A key as a path segment can show it: characters PostgreSQL cannot store are written as `\uXXXX`. */
const showKey = (k: string): string =>
  storableText(k) ? k : k.replace(/[\0\uD800-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The first problem in a payload, walked without recursion (a hostile payload may nest thousands deep). */
function payloadProblem(root: unknown): { path: PropertyKey[]; message: string } | undefined {
  const stack: Array<{ v: unknown; path: PropertyKey[] }> = [{ v: root, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop() as { v: unknown; path: PropertyKey[] };
    if (typeof v === 'string') {
      if (!storableText(v)) return { path, message: STORABLE_TEXT_ERROR };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (path.length >= MAX_PAYLOAD_DEPTH) {
      return { path, message: `nests deeper than ${MAX_PAYLOAD_DEPTH} levels` };
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
      continue;
    }
    const entries = Object.entries(v);
    if (entries.length > MAX_OBJECT_KEYS) return { path, message: `holds more than ${MAX_OBJECT_KEYS} keys` };
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, x] = entries[i] as [string, unknown];
      if (!storableText(k)) return { path: [...path, showKey(k)], message: STORABLE_TEXT_ERROR };
      if (k === '__proto__') return { path: [...path, k], message: 'is not allowed as a key' };
      stack.push({ v: x, path: [...path, k] });
    }
  }
  return undefined;
}
