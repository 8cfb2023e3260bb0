// Cutting and cleaning text that goes to PostgreSQL through JSON, where half a surrogate pair is refused.

const HIGH_SURROGATE_MIN = 0xd800;
const HIGH_SURROGATE_MAX = 0xdbff;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `s` cut to at most `max` UTF-16 code units, never between the two halves of a surrogate pair (an emoji, say): a
 * lone half written by JSON.stringify as `"\ud83d"` is refused by PostgreSQL's JSON input (22P02), which failed a
 * whole alert delivery whose incident title was cut through an emoji. May return `max - 1` units.
 */
export function cutText(s: string, max: number): string {
  if (s.length <= max) return s;
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= HIGH_SURROGATE_MIN && last <= HIGH_SURROGATE_MAX ? max - 1 : max);
}

/**
 * `s` with every unpaired surrogate replaced by U+FFFD, as `pg` does when it encodes a parameter as UTF-8 (what the
 * incident insert did before its rows went as JSON): text the API refuses never gets here, but text Warroom builds
 * itself (from an alert) must still be stored rather than fail. Costs one scan when `s` has no surrogate at all.
 */
export const wellFormed = (s: string): string => (ANY_SURROGATE.test(s) ? s.replace(LONE_SURROGATES, '\uFFFD') : s);
