// Rules for text PostgreSQL will store, without Zod: the analysis worker's bundle uses them and must not carry Zod
// (0.7 MB of its 1.5 MB, and its share of the thread's heap; docs/performance.md, 2026-11-30 sections).

/** Half a surrogate pair without its other half. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** A NUL or any surrogate: most text has neither, and this one-class scan is much cheaper than LONE_SURROGATE. */
const SUSPECT = /[\0\uD800-\uDFFF]/;
/** PostgreSQL stores neither a NUL character nor half a surrogate pair; such text is a 400 here, not a 500 later. */
export const storableText = (s: string): boolean => !SUSPECT.test(s) || (!s.includes('\0') && !LONE_SURROGATE.test(s));
