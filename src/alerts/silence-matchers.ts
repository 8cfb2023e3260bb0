// The compiled matchers of the silences in force, kept between deliveries. Compiling an RE2 pattern costs from
// microseconds to ~100 ms (a Unicode class repeated or alternated many times: re2js builds each copy), and every
// delivery and every silence sweep used to compile every active silence again, on the request thread, inside the
// delivery's transaction. Twenty-five costly silences froze the server for 11 s a delivery (security review,
// 2026-12-02). A silence's matchers never change after it is created, so each is compiled once per process.
import type { SilenceRow } from '../db/types.js';
import { matchesAll, parseMatchers, type Matcher } from '../integrations/index.js';

export interface CompiledSilence {
  id: string;
  matchers: Matcher[];
}

/** A silence whose compile took longer than this hands the event loop back before the next one is compiled. */
const YIELD_AFTER_MS = 10;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Compiled silences by id and matchers text (the text too, so a row that somehow changed is compiled anew). */
const compiled = new Map<string, CompiledSilence | null>();

const cacheKey = (row: SilenceRow): string => `${row.id}\n${JSON.stringify(row.matchers)}`;

/**
 * The silences of `rows` (the active ones, from activeSilences), compiled. A silence compiled before is taken from
 * the cache; the cache then keeps only `rows`, so it holds at most the silences in force. A row whose matchers no
 * longer compile (they were validated when the silence was made) matches nothing. Compiling many new silences at
 * once (the first delivery after a start) gives the event loop back between them, so health checks and other
 * requests go on meanwhile.
 */
export async function compileSilences(rows: readonly SilenceRow[]): Promise<CompiledSilence[]> {
  const out: CompiledSilence[] = [];
  const keep = new Set<string>();
  let since = performance.now();
  for (const row of rows) {
    const key = cacheKey(row);
    keep.add(key);
    let silence = compiled.get(key);
    if (silence === undefined) {
      try {
        silence = { id: row.id, matchers: parseMatchers(row.matchers) };
      } catch {
        silence = null;
      }
      compiled.set(key, silence);
      if (performance.now() - since > YIELD_AFTER_MS) {
        await yieldToLoop();
        since = performance.now();
      }
    }
    if (silence) out.push(silence);
  }
  // Two calls with different active sets (a silence ended between their reads) may evict each other's entries:
  // the next call compiles them again, which is slower but never wrong.
  for (const key of compiled.keys()) if (!keep.has(key)) compiled.delete(key);
  return out;
}

/** The silence (its id) that holds back an alert with these labels, if any. */
export function silencedBy(
  silences: readonly CompiledSilence[],
  labels: Readonly<Record<string, string>>,
): string | undefined {
  return silences.find((s) => matchesAll(labels, s.matchers))?.id;
}
