// Small text helpers for the write-up: quoting log lines, filling placeholders, times and counts.
import { cutText } from '../text-cut.js';

/** A log line inside prose: one line, bounded, without trailing punctuation that would read as the sentence's end. */
export function quote(text: string, max = 110): string {
  let t = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.!?;:,]+$/, '');
  // Cut by characters, never through a surrogate pair (an emoji cut in half became U+FFFD in the stored root cause).
  const cut = cutText(t, max - 1);
  if (cut !== t) t = `${cut.trimEnd()}…`;
  return `“${t}”`;
}

/** Replaces `{name}` placeholders; unknown names are left as they are so a typo shows up in review. */
export function fill(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** `2026-03-10T09:14:02Z`: ISO-8601 to the second, the precision incidents are discussed in. */
export function isoSecond(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** "a", "a and b", "a, b and c". */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
