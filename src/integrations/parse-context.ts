// What every sender's parser is given, and the small steps they all share: clipping text to the alert model's
// limits, reading times, and applying the integration's group_by template.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  type IntegrationSettings,
  MAX_DEDUP_KEY,
  MAX_TITLE,
  type NormalizedAlert,
  STORABLE_TEXT_ERROR,
  Timestamp,
  storableText,
} from '../../schema/index.js';
import { alertPayloadError, formatIssuePath } from './errors.js';
import { compileGroupKeyTemplate } from './group-key.js';

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

/** `s` cut to `max` characters, ending in `…` when cut. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** A title on one line (runs of whitespace become one space), cut to the alert model's 1024 characters. */
export const clipTitle = (s: string): string => clip(s.replace(/\s+/g, ' ').trim(), MAX_TITLE);

/** A dedup key as given, or, past MAX_DEDUP_KEY characters, `sha256:` + its hex digest (stable, and fits). */
export function fitDedupKey(key: string): string {
  return key.length <= MAX_DEDUP_KEY ? key : `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** An RFC 3339 time as senders write it; Go's RFC3339Nano (9 fraction digits) included. */
export const SenderTime = Timestamp;

/**
 * ISO-8601 UTC (`…Z`, milliseconds) of an RFC 3339 time, or null for undefined, empty, or Go's zero time
 * `0001-01-01T00:00:00Z`, which Alertmanager and Grafana send as "not ended". Sub-millisecond digits are dropped.
 */
export function isoOrNull(time: string | undefined): string | null {
  if (time === undefined || time === '') return null;
  const d = new Date(time);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() <= 1) return null;
  return d.toISOString();
}

/** A label/annotation map: string → string, as Prometheus defines them. */
export const StringMap = z.record(z.string(), z.string());

/**
 * The grouping-key function for one payload: the integration's group_by template over an alert's labels when set
 * (compiled once), else the sender's own key, cut to 1024 characters.
 */
export function groupKeyer(ctx: ParseContext): (labels: Readonly<Record<string, string>>, senderKey: string) => string {
  const template = ctx.settings.group_by;
  if (template === undefined) return (_labels, senderKey) => clip(senderKey, 1024);
  const render = compileGroupKeyTemplate(template);
  return (labels, senderKey) => render({ labels, group_key: senderKey });
}

/**
 * Validate `payload` with `schema`: the parsed value, or AlertPayloadError naming every bad field. `what` names
 * the format in the message (e.g. "Alertmanager payload"). Strings PostgreSQL cannot store (NUL, a lone
 * surrogate) are refused first, naming the first such path, so they are a 400 here and not a 500 later.
 */
export function parsePayload<S extends z.ZodType>(schema: S, payload: unknown, what: string): z.output<S> {
  const bad = unstorablePath(payload, []);
  if (bad) throw alertPayloadError(what, [{ path: formatIssuePath(bad), message: STORABLE_TEXT_ERROR }]);
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  throw alertPayloadError(
    what,
    parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })),
  );
}

function unstorablePath(v: unknown, path: PropertyKey[]): PropertyKey[] | undefined {
  if (typeof v === 'string') return storableText(v) ? undefined : path;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = unstorablePath(v[i], [...path, i]);
      if (bad) return bad;
    }
    return undefined;
  }
  if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (!storableText(k)) return [...path, k];
      const bad = unstorablePath(x, [...path, k]);
      if (bad) return bad;
    }
  }
  return undefined;
}
