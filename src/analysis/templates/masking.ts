// Value masking: turns a lexed message into tokens in which values every log format shares become `<*>`.
//
// Only shapes that are variables in any log are masked here (numbers, hex, IPs
// and ports, UUIDs, paths, URLs, durations and sizes with their units, dates and
// times, fully-masked quoted values, `key=` values with digits). Whether a word
// is a constant or a variable is left to the positional statistics of the
// batch (batch.ts): no rule here names a log source.
import { type RawToken, lex } from './tokens.js';

/** The wildcard every masked value becomes; templates also use it for positions that vary. */
export const WILDCARD = '<*>';

/** A lexed, masked message: grouping tokens and the separator before each (for readable templates). */
export interface MaskedMessage {
  tokens: string[];
  seps: string[];
}

/** Leading and trailing punctuation that wraps a value without being part of it. */
const LEAD_CHARS = '([{<"\'`*#@';
const TRAIL_CHARS = ')]}>"\'`,;:.!?';

/** Length of the leading wrapper; a scan, not a regex, so long punctuation runs stay linear. */
function leadLength(text: string): number {
  let i = 0;
  while (i < text.length && LEAD_CHARS.includes(text.charAt(i))) i++;
  return i;
}

/** Start of the trailing wrapper (text.length when there is none), never before `from`. */
function trailStart(text: string, from: number): number {
  let j = text.length;
  while (j > from && TRAIL_CHARS.includes(text.charAt(j - 1))) j--;
  return j;
}

/** URLs (`scheme://…`) and filesystem paths (`/a/b`, `./a`, `../a`, `~/a`, `C:\a`): locations are data. */
const LOCATION = /^(?:[A-Za-z][\w+.-]*:\/\/|\.{0,2}\/[^/\s]|~\/|[A-Za-z]:\\)/;

/**
 * Hex strings with no decimal digit (`deadbeefcafe`). Eight characters minimum
 * so ordinary words made of a–f letters ("added", "faced", "decade") survive.
 */
const LETTER_HEX = /^(?:0x)?[a-fA-F]{8,}$/;

/** A plain number, possibly signed, with separators, a comparison (`<1`) or a glued unit (`12ms`, `4KB`, `50%`). */
const NUMBER = /^[<>~≈]?[-+]?\d[\d.,:]*(?:[a-zA-Zµ%]{1,3})?$/;

/** `label:value` where the value holds a digit (`lr:00004ed0`): the letters-only label is structure. */
const LABELLED = /^([A-Za-z_][A-Za-z_.-]*:)([^/].*)$/;

/** Units that follow a number as a separate word (`1190 bytes`, `<1 sec`, `(1.16 KB)`): part of the value. */
const UNITS = new Set([
  'b',
  'kb',
  'mb',
  'gb',
  'tb',
  'kib',
  'mib',
  'gib',
  'tib',
  'byte',
  'bytes',
  'bit',
  'bits',
  'kbps',
  'mbps',
  'ns',
  'us',
  'µs',
  'ms',
  's',
  'sec',
  'secs',
  'second',
  'seconds',
  'min',
  'mins',
  'minute',
  'minutes',
  'h',
  'hr',
  'hrs',
  'hour',
  'hours',
  'day',
  'days',
  '%',
  'percent',
]);

/** Month and weekday names: part of a date when they stand next to a number or another date name. */
const DATE_NAMES = new Set([
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'january',
  'february',
  'march',
  'april',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
  'mon',
  'tue',
  'wed',
  'thu',
  'fri',
  'sat',
  'sun',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
]);

const HAS_DIGIT = /[0-9]/;

/**
 * A word with a short number glued to its end (`ee0`, `SOCKS5`, `IPv4`, `ext4`):
 * more often a name than a value, so it is left to the positional statistics.
 */
const NAME_WITH_DIGIT = /^[A-Za-z][A-Za-z_-]*[A-Za-z]\d$/;

/** A host name: dotted lower-case labels ending in a common or two-letter top-level domain. */
const HOSTNAME = /^(?:[a-z0-9-]+\.)+(?:com|net|org|edu|gov|io|info|biz|local|internal|lan|[a-z]{2})$/;

/** What masking made of one raw token. */
const enum Kind {
  Word,
  /** A value; `numeric` ones may swallow a following unit word. */
  Value,
  Number,
}

function core(text: string): string {
  const i = leadLength(text);
  return text.slice(i, trailStart(text, i));
}

/** Classifies the bare text of an unquoted token (punctuation wrappers already stripped). */
function classify(bare: string): Kind {
  if (bare.length === 0) return Kind.Word;
  if ((bare.indexOf('/') >= 0 || bare.indexOf('\\') >= 0) && LOCATION.test(bare)) return Kind.Value;
  if (HAS_DIGIT.test(bare)) {
    if (NUMBER.test(bare)) return Kind.Number;
    return NAME_WITH_DIGIT.test(bare) ? Kind.Word : Kind.Value;
  }
  if (bare.length >= 8 && LETTER_HEX.test(bare)) return Kind.Value;
  if (bare.indexOf('.') > 0 && HOSTNAME.test(bare)) return Kind.Value;
  return Kind.Word;
}

/**
 * A quoted span masks to `<*>` when its content is a value (or empty), and
 * otherwise keeps its quotes around its own masked words: `"GET /a HTTP/1.1"`
 * -> `"GET <*>"`, so the request method stays visible to the statistics.
 */
function maskQuoted(text: string): string {
  const quote = text.charAt(0);
  const inner = text.slice(1, -1);
  const masked = maskMessage(inner);
  const body = joinTokens(masked);
  return body === WILDCARD || body === '' ? WILDCARD : `${quote}${body}${quote}`;
}

/** Template text of masked tokens: each token after its separator, the first one bare. */
export function joinTokens(m: MaskedMessage): string {
  let s = '';
  for (let i = 0; i < m.tokens.length; i++) s += (i === 0 ? '' : (m.seps[i] ?? ' ')) + (m.tokens[i] ?? '');
  return s;
}

/** True for a token that is a wildcard apart from its punctuation (`<*>`, `[<*>]`, `<*>,`). */
export function isWildcard(token: string): boolean {
  return token === WILDCARD || (token.indexOf(WILDCARD) >= 0 && core(token) === '*');
}

/** What a raw token masks to, independent of its neighbours (cached: words repeat across a batch). */
interface Shape {
  text: string;
  kind: Kind;
  /** Lower-cased bare text, to look up units and date names. */
  lower: string;
  /** Text of a collapsed run of values ending with this token: `<*>` and its trailing `, ; : .`. */
  runText: string;
}

/** One masked token before runs of values collapse. */
interface Piece {
  text: string;
  sep: string;
  kind: Kind;
  lower: string;
  runText: string;
}

/** Literals that are values in any language's logs. */
const LITERALS = new Set(['true', 'false', 'null', 'nil', 'undefined']);

const CLOSERS = /[)\]}>"'`]/g;

function shapeOf(raw: string, quoted: boolean): Shape {
  const leadEnd = leadLength(raw);
  const trail = raw.slice(trailStart(raw, leadEnd));
  const runText = WILDCARD + trail.replace(CLOSERS, '');
  if (quoted) {
    const text = maskQuoted(raw);
    return { text, kind: text === WILDCARD ? Kind.Value : Kind.Word, lower: '', runText };
  }
  const bare = core(raw);
  const lower = bare.toLowerCase();
  let kind = LITERALS.has(lower) ? Kind.Value : classify(bare);
  if (kind === Kind.Value && bare.indexOf(':') > 0) {
    // `lr:00004ed0` keeps its label.
    const m = LABELLED.exec(raw);
    if (m !== null && !HAS_DIGIT.test(m[1] ?? ''))
      return { text: `${m[1] ?? ''}${WILDCARD}`, kind: Kind.Word, lower, runText };
  }
  if (kind === Kind.Word) return { text: raw, kind, lower, runText };
  const lead = raw.slice(0, leadEnd);
  if (bare.length === 0) kind = Kind.Word;
  return { text: lead + WILDCARD + trail, kind, lower, runText };
}

/**
 * Bounded memo of shapeOf; cleared when full so a stream of unique values cannot grow it without end, and by
 * mineTemplates when its batch is done. Its keys and shapes are slices of the batch's messages, and V8 keeps a whole
 * string alive for any slice of it: kept between batches, up to MAX_SHAPES messages of 16,000 characters each stayed
 * in the analysis thread (a review saw its heap at 469 MB after three incidents of unique long tokens).
 */
const shapes = new Map<string, Shape>();
const MAX_SHAPES = 50_000;

/** Empties the memo: at the end of a batch, and so a benchmark can time a batch as if no word had been seen before. */
export function clearMaskCache(): void {
  shapes.clear();
}

/** How many shapes the memo holds (for tests). */
export const maskCacheSize = (): number => shapes.size;

function maskPiece(t: RawToken): Piece {
  const key = t.quoted ? `"${t.text}` : t.text;
  let shape = shapes.get(key);
  if (shape === undefined) {
    shape = shapeOf(t.text, t.quoted);
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(key, shape);
  }
  return { text: shape.text, sep: t.sep, kind: shape.kind, lower: shape.lower, runText: shape.runText };
}

/** Month and weekday names next to a number or another date word are part of a date. */
function maskDateNames(pieces: Piece[]): void {
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    if (p === undefined || p.kind !== Kind.Word || !DATE_NAMES.has(p.lower)) continue;
    const near = (q: Piece | undefined): boolean =>
      q !== undefined && (q.kind === Kind.Number || DATE_NAMES.has(q.lower));
    if (near(pieces[i - 1]) || near(pieces[i + 1])) {
      p.kind = Kind.Value;
      p.text = WILDCARD;
    }
  }
}

/**
 * Lexes and masks a message. A unit word after a number joins the number, and
 * consecutive values collapse into one `<*>` (`1190 bytes (1.16 KB)`, `Sun Jul
 * 10 03:55:15 2005`, `blk_1 blk_2 blk_3`): a value that spans a varying number of
 * words must not change the token count.
 */
export function maskMessage(message: string): MaskedMessage {
  const pieces = lex(message).map(maskPiece);
  maskDateNames(pieces);
  const tokens: string[] = [];
  const seps: string[] = [];
  let run: Piece | undefined;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i];
    if (p === undefined) continue;
    const isValue = p.kind !== Kind.Word;
    const unit = !isValue && run !== undefined && run.kind === Kind.Number && UNITS.has(p.lower);
    if (isValue || unit) {
      if (run !== undefined) {
        run = unit ? { ...p, kind: Kind.Value } : p;
        tokens[tokens.length - 1] = run.runText;
        continue;
      }
      run = p;
      tokens.push(p.text);
      seps.push(p.sep);
      continue;
    }
    run = undefined;
    tokens.push(p.text);
    seps.push(p.sep);
  }
  return { tokens, seps };
}
