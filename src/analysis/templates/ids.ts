// Stable template ids: derived from the template text, so re-mining the same events yields the same ids.

/** FNV-1a, 32-bit, over UTF-16 code units: tiny and good enough to spread template texts. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** `T` and eight hex digits of the template's hash, e.g. `T3fa9c0e1`. */
export function templateId(template: string): string {
  return `T${fnv1a(template).toString(16).padStart(8, '0')}`;
}

/**
 * Ids for a set of distinct template texts. Two texts whose hashes collide (a
 * 1 in 4 billion chance per pair) are told apart by a `-2`, `-3`, … suffix given
 * in sorted text order, so the result depends only on the set of texts.
 */
export function assignIds(templates: Iterable<string>): Map<string, string> {
  const byId = new Map<string, string[]>();
  for (const t of templates) {
    const id = templateId(t);
    const list = byId.get(id);
    if (list === undefined) byId.set(id, [t]);
    else list.push(t);
  }
  const ids = new Map<string, string>();
  for (const [id, texts] of byId) {
    texts.sort();
    texts.forEach((t, i) => ids.set(t, i === 0 ? id : `${id}-${i + 1}`));
  }
  return ids;
}
