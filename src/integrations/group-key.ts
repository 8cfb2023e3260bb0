// Grouping key templates: an integration's `group_by`, e.g. `{{ labels.service }}/{{ labels.env }}`.
//
// Syntax (the whole of it): literal text with placeholders `{{ labels.NAME }}` (the alert's label NAME; NAME is
// letters, digits, `_`, `.`, `-`, not starting with a digit, `.` or `-`) and `{{ group_key }}` (the sender's own
// grouping, so `{{ group_key }}:{{ labels.env }}` refines it). Spaces inside the braces are optional. A label the
// alert lacks renders as the empty string. Any other `{{ ... }}` or a stray `{{`/`}}` is an error when the
// template is compiled; nothing is ever evaluated, so a template cannot run code. The grammar is
// GROUP_KEY_PLACEHOLDER in schema/alerts.ts, which the settings schema validates with.
import { createHash } from 'node:crypto';
import { GROUP_KEY_PLACEHOLDER, isValidGroupByTemplate } from '../../schema/index.js';
import { cutBytes, cutText } from '../text-cut.js';

export interface GroupKeyInput {
  labels: Readonly<Record<string, string>>;
  /** The sender's own grouping key (Alertmanager groupKey, PagerDuty routing_key + group, Datadog monitor...). */
  group_key: string;
}

export type GroupKeyTemplate = (input: GroupKeyInput) => string;

/** A group_by template that uses an unknown placeholder or leaves braces open. */
export class GroupKeyTemplateError extends Error {
  override readonly name = 'GroupKeyTemplateError';
}

type Part = string | { label: string } | { groupKey: true };

/**
 * Longest group key stored, in characters and in UTF-8 bytes (fitGroupKey). The byte bound leaves room within
 * PostgreSQL's 2704-byte B-tree entry for the integration id beside the key; every key stored before it existed was
 * at most 1024 characters and, having been stored, under the entry limit, so it keeps its form.
 */
export const MAX_GROUP_KEY = 1024;
export const MAX_GROUP_KEY_BYTES = 2400;

/**
 * A group key as stored: as given when it fits MAX_GROUP_KEY characters and MAX_GROUP_KEY_BYTES bytes, else its
 * beginning and the SHA-256 of the whole (`<beginning>… sha256:<64 hex>`, under both limits). Keys are compared,
 * never parsed, so two long keys group apart as long as they differ anywhere; cutting them merged two groups that
 * shared a long beginning. The byte bound is PostgreSQL's: a B-tree entry holds at most 2704 bytes, and 1024
 * characters of CJK text or emoji (3-4 KB) failed the delivery with a 500 at the `(integration_id, group_key)`
 * primary key (review, 2026-12-01). A key over 1024 characters, cut to 1024 before, is stored in the new form: the
 * next alert of such a group after upgrading opens a new incident.
 */
export function fitGroupKey(key: string): string {
  // Characters as cutText counts them (code points), as the old cut did.
  if (cutText(key, MAX_GROUP_KEY) === key && Buffer.byteLength(key, 'utf8') <= MAX_GROUP_KEY_BYTES) return key;
  const digest = createHash('sha256').update(key, 'utf8').digest('hex');
  // Its beginning within 900 characters and the byte bound, then "… sha256:" (11 bytes) and the digest (64).
  return `${cutBytes(cutText(key, 900), MAX_GROUP_KEY_BYTES - 80)}… sha256:${digest}`;
}

/**
 * Compile a group_by template once into a renderer. Throws GroupKeyTemplateError naming the first unknown
 * placeholder. The renderer returns the key, fitted by fitGroupKey.
 */
export function compileGroupKeyTemplate(template: string): GroupKeyTemplate {
  if (!isValidGroupByTemplate(template)) {
    const bad = /\{\{[^}]*\}\}|\{\{|\}\}/.exec(template.replace(GROUP_KEY_PLACEHOLDER, ''))?.[0] ?? template;
    throw new GroupKeyTemplateError(
      `group_by: ${JSON.stringify(bad)} is not a placeholder; use {{ labels.NAME }} or {{ group_key }}`,
    );
  }
  const parts: Part[] = [];
  let last = 0;
  for (const m of template.matchAll(GROUP_KEY_PLACEHOLDER)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    parts.push(m[1] !== undefined ? { label: m[1] } : { groupKey: true });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  return ({ labels, group_key }) => {
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') out += p;
      else if ('label' in p)
        out += Object.prototype.hasOwnProperty.call(labels, p.label) ? (labels[p.label] ?? '') : '';
      else out += group_key;
    }
    return fitGroupKey(out);
  };
}

/**
 * The grouping key of one alert: the integration's `group_by` template when set, else the sender's own key
 * (fitted by fitGroupKey). Throws GroupKeyTemplateError for an invalid template.
 */
export function resolveGroupKey(groupBy: string | undefined, input: GroupKeyInput): string {
  if (groupBy === undefined) return fitGroupKey(input.group_key);
  return compileGroupKeyTemplate(groupBy)(input);
}
