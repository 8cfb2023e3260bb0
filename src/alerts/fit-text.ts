// What an alert brings into an incident's events and its metadata, held to the metadata text limit clients are held
// to (MAX_METADATA_TEXT): a sender may send up to 1000 labels of 4 KB and 1000 annotations of 16 KB an alert, and an
// alert's event carries them all, so one sender could otherwise make an incident's event pages too large to answer.
import { MAX_METADATA_TEXT } from '../../schema/common.js';
import { cutUnits } from '../text-cut.js';

/** Characters of keys and values one record may keep when it must be cut. */
export type TextBudget = number;

/**
 * An alert event's share of MAX_METADATA_TEXT for its labels, its annotations and its links; the rest is room for
 * its fixed fields (ids, status, times; a few hundred characters).
 */
export const ALERT_TEXT_BUDGET = {
  labels: (MAX_METADATA_TEXT * 3) / 8,
  annotations: (MAX_METADATA_TEXT * 3) / 8,
  links: MAX_METADATA_TEXT / 8 - 1_024,
} as const satisfies Record<string, TextBudget>;

const textOf = (record: Readonly<Record<string, string>>): number =>
  Object.entries(record).reduce((n, [k, v]) => n + k.length + v.length, 0);

/** Text a value may keep at the least, so a record with many keys still says something for each one it keeps. */
const MIN_VALUE = 32;

/**
 * `record` within `budget` characters of keys and values (UTF-16 units, as the metadata limit counts them):
 * unchanged when it fits. Otherwise every value is cut to the
 * longest length at which they all fit, never below MIN_VALUE; entries past what then fits are left out, in order.
 * `cut` says whether anything was cut or left out.
 */
export function fitRecord(
  record: Readonly<Record<string, string>>,
  budget: TextBudget,
): { record: Record<string, string>; cut: boolean } {
  if (textOf(record) <= budget) return { record: { ...record }, cut: false };
  const entries = Object.entries(record);
  const cost = (cap: number): number => entries.reduce((n, [k, v]) => n + k.length + Math.min(v.length, cap), 0);
  // The longest cap that fits, by bisection over [MIN_VALUE, longest value].
  let lo = MIN_VALUE;
  let hi = Math.max(MIN_VALUE, ...entries.map(([, v]) => v.length));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (cost(mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  const out: Record<string, string> = {};
  let used = 0;
  for (const [k, v] of entries) {
    const value = cutUnits(v, lo);
    if (used + k.length + value.length > budget) break;
    used += k.length + value.length;
    out[k] = value;
  }
  return { record: out, cut: true };
}

/** The links, in order, while their hrefs and texts fit in `budget` characters. */
export function fitLinks<L extends { href: string; text: string }>(
  links: readonly L[],
  budget: TextBudget,
): { links: L[]; cut: boolean } {
  const out: L[] = [];
  let used = 0;
  for (const link of links) {
    used += link.href.length + link.text.length;
    if (used > budget) return { links: out, cut: true };
    out.push(link);
  }
  return { links: out, cut: false };
}
