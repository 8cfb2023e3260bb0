// Rules for text PostgreSQL will store, without Zod: the analysis worker's bundle uses them and must not carry Zod
// (0.7 MB of its 1.5 MB, and its share of the thread's heap; docs/performance.md, 2026-11-30 sections).

/** Half a surrogate pair without its other half. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * PostgreSQL stores neither a NUL character nor half a surrogate pair; such text is a 400 here, not a 500 later.
 * `isWellFormed` (ES2024, Node 20) is the engine's own scan: for text of one-byte characters it answers without a
 * scan, and on text full of surrogate pairs (emoji) it took 275 µs per 100 KiB where LONE_SURROGATE took 1.1 ms
 * (2026-12-03, this machine).
 */
export const storableText = (s: string): boolean => !s.includes('\0') && s.isWellFormed();
