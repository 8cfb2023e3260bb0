// Batch log template miner: decides constant vs variable per token position from statistics over the whole batch.
//
// After masking (masking.ts), messages are bucketed by token count. Inside a
// bucket, each message is first grouped with the others that share its "root":
// the constant words of a template occur in every message it produced, so they
// share one frequency across the batch while variables scatter (Brain: S. Yu,
// P. He, N. Chen, Y. Wu, "Brain: Log Parsing with Bidirectional Parallel Tree",
// IEEE Trans. Services Computing, 2023). Each group is then split recursively
// on the position that takes the fewest distinct words, as long as that is a
// handful (an enum: HTTP method, state, user name); positions with more values,
// or holding a masked value anywhere, are variables. Finally adjacent `<*>`
// collapse and groups with the same template text are one, which joins messages
// whose variable spanned a different number of words.
import { assignIds } from './ids.js';
import { type MaskedMessage, WILDCARD, clearMaskCache, isWildcard, maskMessage } from './masking.js';

export interface BatchOptions {
  /**
   * A position taking at most this many distinct words in a group splits the
   * group (each word is a constant of its own template); more distinct words
   * make it a variable. Chosen by leave-one-system-out on the Loghub fixtures
   * (bench/templates.ts), not by the user.
   */
  maxEnumValues: number;
  /** The same bound for the first token of a message, which is usually the event's own name or verb. */
  maxFirstValues: number;
  /** The same bound for a position whose words are all upper-case identifiers (`RUNNING`, `FAIL_TASK_CLEANUP`): enum constants in code. */
  maxCapsValues: number;
}

export const DEFAULT_BATCH_OPTIONS: Readonly<BatchOptions> = { maxEnumValues: 4, maxFirstValues: 8, maxCapsValues: 8 };

/** Upper-case identifiers, as enum constants are written. */
const CAPS = /^[A-Z][A-Z0-9_]+$/;

/** The most distinct words a position may take and still split a group, by position and kind of word. */
function enumBound(position: number, words: Iterable<string>, opts: BatchOptions): number {
  let bound = opts.maxEnumValues;
  if (position === 0) bound = Math.max(bound, opts.maxFirstValues);
  let caps = true;
  for (const w of words) if (!CAPS.test(w)) caps = false;
  if (caps) bound = Math.max(bound, opts.maxCapsValues);
  return bound;
}

export interface BatchTemplate {
  /** Stable id derived from the template text (ids.ts). */
  id: string;
  /** Tokens with `<*>` where values vary, joined with the message's own separators. */
  template: string;
  /** Messages of the batch in this template. */
  count: number;
}

export interface BatchResult {
  /** `ids[i]` is the template id of `messages[i]`. */
  ids: string[];
  /** Every template of the batch, most frequent first (ties: by first occurrence). */
  templates: BatchTemplate[];
}

/** Messages identical after masking, mined as one weighted row. */
interface Row {
  tokens: string[];
  seps: string[];
  count: number;
  lines: number[];
}

/** Dedupes masked messages: most batches repeat a few shapes many times. */
function uniqueRows(messages: readonly string[]): Row[] {
  const rows = new Map<string, Row>();
  for (let i = 0; i < messages.length; i++) {
    const masked: MaskedMessage = maskMessage(messages[i] ?? '');
    const key = masked.tokens.join('\u0001');
    const row = rows.get(key);
    if (row === undefined) rows.set(key, { tokens: masked.tokens, seps: masked.seps, count: 1, lines: [i] });
    else {
      row.count++;
      row.lines.push(i);
    }
  }
  return [...rows.values()];
}

/** Weighted count of each word at each position over `rows` (all of one token count). */
function positionCounts(rows: readonly Row[], length: number): Array<Map<string, number>> {
  const counts = Array.from({ length }, () => new Map<string, number>());
  for (const row of rows) {
    for (let i = 0; i < length; i++) {
      const m = counts[i];
      const t = row.tokens[i];
      if (m !== undefined && t !== undefined) m.set(t, (m.get(t) ?? 0) + row.count);
    }
  }
  return counts;
}

/**
 * Brain's initial grouping key: the frequency shared by the most (non-masked)
 * words of the row, ties to the higher frequency, and those words with their
 * positions. Rows of one template agree on it even when their variables differ.
 */
function rootKey(row: Row, counts: ReadonlyArray<Map<string, number>>): string {
  const byFreq = new Map<number, number>();
  const freqs: number[] = [];
  for (let i = 0; i < row.tokens.length; i++) {
    const t = row.tokens[i] ?? '';
    const f = isWildcard(t) ? 0 : (counts[i]?.get(t) ?? 0);
    freqs.push(f);
    // A word seen once at its position is shared with no other message: no evidence of a common template.
    if (f > 1) byFreq.set(f, (byFreq.get(f) ?? 0) + 1);
  }
  let root = 0;
  let best = 0;
  for (const [f, n] of byFreq) {
    if (n > best || (n === best && f > root)) {
      root = f;
      best = n;
    }
  }
  // Nothing shared: the row is a template of its own.
  if (root === 0) return `once\u0001${row.tokens.join('\u0001')}`;
  let key = `${root}`;
  for (let i = 0; i < freqs.length; i++)
    if (freqs[i] === root && root > 0) key += `\u0001${i}\u0002${row.tokens[i] ?? ''}`;
  return key;
}

/**
 * Splits a group of equal-length rows into templates. A position with one word
 * is a constant; one holding a masked value in any row is a variable; of the
 * rest, the one with the fewest distinct words splits the group if it has at
 * most `maxEnum`, recursively; otherwise they are all variables.
 */
function refine(rows: Row[], opts: BatchOptions, emit: (rows: Row[], variable: boolean[]) => void): void {
  const length = rows[0]?.tokens.length ?? 0;
  const variable = new Array<boolean>(length).fill(false);
  const counts = positionCounts(rows, length);
  let split = -1;
  let fewest = Infinity;
  for (let i = 0; i < length; i++) {
    const m = counts[i];
    if (m === undefined || m.size === 1) continue;
    let wild = false;
    for (const t of m.keys()) if (isWildcard(t)) wild = true;
    if (wild) {
      variable[i] = true;
      continue;
    }
    // Of the positions within their bound, the one with the fewest words splits first (ties: leftmost).
    if (m.size < fewest && m.size <= enumBound(i, m.keys(), opts)) {
      fewest = m.size;
      split = i;
    }
  }
  if (split >= 0) {
    const parts = new Map<string, Row[]>();
    for (const row of rows) {
      const t = row.tokens[split] ?? '';
      const part = parts.get(t);
      if (part === undefined) parts.set(t, [row]);
      else part.push(row);
    }
    for (const part of parts.values()) refine(part, opts, emit);
    return;
  }
  for (let i = 0; i < length; i++) if ((counts[i]?.size ?? 1) > 1) variable[i] = true;
  emit(rows, variable);
}

/** Template text of a group: constants, `<*>` for variables, adjacent `<*>` collapsed into one. */
function templateText(row: Row, variable: readonly boolean[]): string {
  let text = '';
  let prevWild = false;
  for (let i = 0; i < row.tokens.length; i++) {
    const token = variable[i] === true ? WILDCARD : (row.tokens[i] ?? '');
    const wild = isWildcard(token);
    if (wild && prevWild) {
      // Keep the run as one `<*>`, but let a trailing `,` `;` `:` `.` of the last value show.
      const trail = /[,;:.]+$/.exec(token)?.[0] ?? '';
      text = text.replace(/[,;:.]*$/, trail);
      continue;
    }
    text += (i === 0 ? '' : (row.seps[i] ?? ' ')) + token;
    prevWild = wild;
  }
  return text;
}

/**
 * Mines the templates of a batch of messages with one built-in configuration.
 * Returns each message's template id and the templates, `{ids: string[],
 * templates: {id, template, count}[]}`; ids depend only on the template text,
 * so the same batch always yields the same ids whatever the input order.
 */
export function mineTemplates(messages: readonly string[], opts: Partial<BatchOptions> = {}): BatchResult {
  try {
    return mineBatch(messages, opts);
  } finally {
    // The masking memo holds slices of these messages; kept, it would keep them (masking.ts).
    clearMaskCache();
  }
}

function mineBatch(messages: readonly string[], opts: Partial<BatchOptions>): BatchResult {
  const options: BatchOptions = { ...DEFAULT_BATCH_OPTIONS, ...opts };
  const buckets = new Map<number, Row[]>();
  for (const row of uniqueRows(messages)) {
    const bucket = buckets.get(row.tokens.length);
    if (bucket === undefined) buckets.set(row.tokens.length, [row]);
    else bucket.push(row);
  }
  const textOfLine = new Array<string>(messages.length).fill('');
  for (const [length, rows] of buckets) {
    const counts = positionCounts(rows, length);
    const groups = new Map<string, Row[]>();
    for (const row of rows) {
      const key = rootKey(row, counts);
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [row]);
      else group.push(row);
    }
    for (const group of groups.values()) {
      refine(group, options, (members, variable) => {
        // Separators and constants are the same in every member; the first row speaks for them.
        const first = members[0];
        if (first === undefined) return;
        const text = templateText(first, variable);
        for (const m of members) for (const line of m.lines) textOfLine[line] = text;
      });
    }
  }
  return summarise(textOfLine);
}

function summarise(textOfLine: readonly string[]): BatchResult {
  const stats = new Map<string, { count: number; first: number }>();
  textOfLine.forEach((t, i) => {
    const s = stats.get(t);
    if (s === undefined) stats.set(t, { count: 1, first: i });
    else s.count++;
  });
  const idOf = assignIds(stats.keys());
  const templates = [...stats.entries()]
    .sort((a, b) => b[1].count - a[1].count || a[1].first - b[1].first)
    .map(([template, s]) => ({ id: idOf.get(template) ?? '', template, count: s.count }));
  return { ids: textOfLine.map((t) => idOf.get(t) ?? ''), templates };
}
