// Cutting and cleaning text that goes to PostgreSQL through JSON, where half a surrogate pair is refused.
import { LONE_SURROGATE } from '../schema/text-rules.js';

const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * `s` cut to at most `max` characters, counted as the API's limits count them (code points: an emoji is one, as
 * zod's string limits count it), so a pair of surrogates is never split: a lone half written by JSON.stringify as
 * `"\ud83d"` is refused by PostgreSQL's JSON input (22P02), which failed a whole alert delivery whose incident title
 * was cut through an emoji.
 */
export function cutText(s: string, max: number): string {
  // Fewer UTF-16 units than `max` means fewer characters too.
  if (s.length <= max) return s;
  let units = 0;
  for (let chars = 0; chars < max && units < s.length; chars++) {
    units += (s.codePointAt(units) ?? 0) > 0xffff ? 2 : 1;
  }
  return s.slice(0, units);
}

/** `s` cut to at most `bytes` bytes of UTF-8, never through a character. */
export function cutBytes(s: string, bytes: number): string {
  if (s.length * 3 <= bytes) return s;
  let used = 0;
  let units = 0;
  while (units < s.length) {
    const cp = s.codePointAt(units) ?? 0;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (used + size > bytes) break;
    used += size;
    units += cp > 0xffff ? 2 : 1;
  }
  return s.slice(0, units);
}

/**
 * `s` cut to at most `units` UTF-16 units (as `.length` and the metadata limit count them), without splitting a
 * surrogate pair: cutText's rule for limits counted in code units rather than characters.
 */
export function cutUnits(s: string, units: number): string {
  if (s.length <= units) return s;
  const cut = s.slice(0, units);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/**
 * `s` with every unpaired surrogate replaced by U+FFFD, as `pg` does when it encodes a parameter as UTF-8 (what the
 * incident insert did before its rows went as JSON): text the API refuses never gets here, but text Warroom builds
 * itself (from an alert) must still be stored rather than fail. Costs one scan when `s` has no surrogate at all.
 */
export const wellFormed = (s: string): string => (ANY_SURROGATE.test(s) ? s.replace(LONE_SURROGATES, '\uFFFD') : s);
