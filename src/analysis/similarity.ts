// Ranks past incidents by similarity to the current one: TF-IDF cosine over text and templates, plus a same-category bonus.
import type { PastIncident } from './types.js';

/**
 * A past incident at or above this score is cited and its fix reused. Calibrated so that
 * a same-category incident needs a cosine of ~0.19 (some shared templates or wording) and a
 * different-category one ~0.44 (substantially the same messages).
 */
export const SIMILARITY_THRESHOLD = 0.35;
/** Below this a past incident is not even listed. */
export const SIMILARITY_FLOOR = 0.1;
const TEXT_SHARE = 0.8;
const CATEGORY_SHARE = 0.2;

export interface SimilarityQuery {
  text: string;
  templates: readonly string[];
  category: string | null;
}

export interface RankedIncident {
  incident: PastIncident;
  score: number;
}

const STOPWORDS = new Set(
  'the and for with from was were has have had this that are not but into our its than then them they their there when while will would after before over under been being also only just about all any can could did does out per via'.split(
    ' ',
  ),
);

export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.toLowerCase().split(/[^a-z0-9_]+/)) {
    // Numbers and ids vary between occurrences of the same failure; words carry the meaning.
    if (raw.length < 3 || /^\d+$/.test(raw) || STOPWORDS.has(raw)) continue;
    out.push(raw);
  }
  return out;
}

function termCounts(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

function documentOf(p: PastIncident): string[] {
  return tokenize([p.title, p.description, p.root_cause ?? '', ...p.templates].join('\n'));
}

/** Sublinear TF × smoothed IDF, L2-normalised. */
function vectorize(counts: ReadonlyMap<string, number>, idf: (term: string) => number): Map<string, number> {
  const v = new Map<string, number>();
  let norm = 0;
  for (const [term, tf] of counts) {
    const w = (1 + Math.log(tf)) * idf(term);
    v.set(term, w);
    norm += w * w;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (const [term, w] of v) v.set(term, w / norm);
  return v;
}

function cosine(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [term, w] of small) dot += w * (large.get(term) ?? 0);
  return dot;
}

/** Past incidents scoring at least SIMILARITY_FLOOR, best first (ties: input order). */
export function rankSimilar(query: SimilarityQuery, past: readonly PastIncident[]): RankedIncident[] {
  if (past.length === 0) return [];
  const queryCounts = termCounts(tokenize([query.text, ...query.templates].join('\n')));
  const docCounts = past.map((p) => termCounts(documentOf(p)));
  const df = new Map<string, number>();
  for (const counts of [queryCounts, ...docCounts])
    for (const term of counts.keys()) df.set(term, (df.get(term) ?? 0) + 1);
  const n = docCounts.length + 1;
  const idf = (term: string): number => Math.log((n + 1) / ((df.get(term) ?? 0) + 1)) + 1;
  const q = vectorize(queryCounts, idf);
  return past
    .map((incident, i) => {
      const text = cosine(q, vectorize(docCounts[i] ?? new Map(), idf));
      const sameCategory = query.category !== null && incident.category === query.category ? 1 : 0;
      return { incident, score: Math.round((TEXT_SHARE * text + CATEGORY_SHARE * sameCategory) * 1000) / 1000 };
    })
    .filter((r) => r.score >= SIMILARITY_FLOOR)
    .sort((a, b) => b.score - a.score);
}
