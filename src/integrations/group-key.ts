// Grouping key templates: an integration's `group_by`, e.g. `{{ labels.service }}/{{ labels.env }}`.
//
// Syntax (the whole of it): literal text with placeholders `{{ labels.NAME }}` (the alert's label NAME; NAME is
// letters, digits, `_`, `.`, `-`, not starting with a digit, `.` or `-`) and `{{ group_key }}` (the sender's own
// grouping, so `{{ group_key }}:{{ labels.env }}` refines it). Spaces inside the braces are optional. A label the
// alert lacks renders as the empty string. Any other `{{ ... }}` or a stray `{{`/`}}` is an error when the
// template is compiled; nothing is ever evaluated, so a template cannot run code. The grammar is
// GROUP_KEY_PLACEHOLDER in schema/alerts.ts, which the settings schema validates with.
import { GROUP_KEY_PLACEHOLDER, isValidGroupByTemplate } from '../../schema/index.js';
import { cutText } from '../text-cut.js';

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

/** Longest rendered key; longer results are cut (keys are compared, never parsed). */
export const MAX_GROUP_KEY = 1024;

/**
 * Compile a group_by template once into a renderer. Throws GroupKeyTemplateError naming the first unknown
 * placeholder. The renderer returns the key, cut to MAX_GROUP_KEY characters.
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
    return cutText(out, MAX_GROUP_KEY);
  };
}

/**
 * The grouping key of one alert: the integration's `group_by` template when set, else the sender's own key
 * (cut to MAX_GROUP_KEY). Throws GroupKeyTemplateError for an invalid template.
 */
export function resolveGroupKey(groupBy: string | undefined, input: GroupKeyInput): string {
  if (groupBy === undefined) return cutText(input.group_key, MAX_GROUP_KEY);
  return compileGroupKeyTemplate(groupBy)(input);
}
