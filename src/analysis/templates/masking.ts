// Token masking: turns a raw log message into whitespace tokens in which variable-looking values become `<*>`.
//
// Masking runs before the parse-tree descent so that values (ids, counts,
// addresses, timings…) never steer the tree or count as template constants.
// Every rule is a generic lexical shape; none targets a particular log source.

/** The wildcard every masked value becomes; templates also use it for positions that varied. */
export const WILDCARD = '<*>';

/**
 * Quoted values, possibly spanning several words: `'foo bar'`, `"x y"`. A quote
 * only opens at the start of a word (or right after `=`, `(`, `[`, `:`) and only
 * closes before whitespace or punctuation, so apostrophes inside words ("can't",
 * "user's") are left alone. Collapsed before splitting so a multi-word value
 * cannot change the token count.
 */
const QUOTED = /(^|[\s=([:])(?:'[^'\n]*'|"[^"\n]*")(?=$|[\s,;:.)\]])/g;

/**
 * Any decimal digit makes a token a value. This one rule covers numbers, hex
 * with digits (0x1f), IPv4/IPv6 addresses, UUIDs, timestamps, durations (12ms),
 * sizes (4KB), and ids like `blk_123` or `node-7`: constants in log statements
 * are overwhelmingly words, while digits are overwhelmingly data.
 */
const HAS_DIGIT = /[0-9]/;

/**
 * Hex strings with no decimal digit (`deadbeefcafe`). Eight characters minimum
 * so ordinary words made of a–f letters ("added", "faced", "decade") survive.
 */
const LETTER_HEX = /^[a-fA-F]{8,}$/;

/** URLs (`scheme://…`) and filesystem paths (`/a/b`, `./a`, `../a`, `~/a`, `C:\a`): locations are data. */
const LOCATION = /^(?:[A-Za-z][\w+.-]*:\/\/|\.{0,2}\/[^/\s]|~\/|[A-Za-z]:\\)/;

/**
 * A `key=` key: needs a letter or underscore so operators such as `==>` are not
 * mistaken for keys. Leading brackets stay with the key (`(uid=0)` -> `(uid=<*>)`).
 */
const KEY_CHAR = /[A-Za-z_]/;

/**
 * `label:value` where the value holds a digit (`lr:00004ed0`, `sessionid:0x1f`):
 * the letters-only label is structure, like a `key=` key.
 */
const LABELLED = /^([A-Za-z_][A-Za-z_.-]*:)(.+)$/;

/** Closing punctuation kept after a masked value, e.g. `count=3,` -> `count=<*>,`. */
const TRAILING_PUNCT = ',;.:)]}';

/** Letters, digits and signs; what remains of a token is its punctuation skeleton. */
const ALNUM_OR_SIGN = /[A-Za-z0-9+-]+/g;

/** `prefix` followed by the wildcard, keeping `value`'s closing punctuation: (`(uid=`, `0)`) -> `(uid=<*>)`. */
function maskAfter(prefix: string, value: string): string {
  // A backward scan rather than a `[…]+$` regex, which backtracks quadratically on long punctuation runs.
  let end = value.length;
  while (end > 1 && TRAILING_PUNCT.includes(value.charAt(end - 1))) end--;
  return prefix + WILDCARD + value.slice(end);
}

/** Masks one whitespace-free token; returns it unchanged when it looks like a constant word. */
export function maskToken(token: string): string {
  // Locations first: a URL may carry `=` (query) or `:` (port) that the rules below would split on.
  if ((token.indexOf('/') >= 0 || token.indexOf('\\') >= 0) && LOCATION.test(token)) return WILDCARD;
  // `key=value` with a non-empty value: the key is structure, the value is data.
  const eq = token.indexOf('=');
  if (eq > 0 && eq < token.length - 1) {
    const key = token.slice(0, eq + 1);
    if (KEY_CHAR.test(key)) {
      // A key that itself carries digits (a numbered register, say) is a value too.
      return HAS_DIGIT.test(key) ? WILDCARD : maskAfter(key, token.slice(eq + 1));
    }
  }
  if (!HAS_DIGIT.test(token)) {
    return token.length >= 8 && LETTER_HEX.test(token) ? WILDCARD : token;
  }
  if (token.indexOf(':') > 0) {
    const labelled = LABELLED.exec(token);
    if (labelled !== null) return maskAfter(labelled[1] ?? '', labelled[2] ?? '');
  }
  return WILDCARD;
}

/**
 * Punctuation skeleton of a raw value, used to recognise lists: `blk_-1` and
 * `blk_2` share `_`, `10.0.0.1` and `10.0.0.2` share `...`, but `1.2.3.4:` and
 * `11:` do not. Signs are dropped so negative and positive numbers agree.
 */
export function valueShape(raw: string): string {
  return raw.replace(ALNUM_OR_SIGN, '');
}

/**
 * Splits a message on whitespace and masks each token. Consecutive masked
 * values with the same shape are one list-valued variable (`delete blk_1 blk_2
 * blk_3`, `speeds 3552 3534 3375`), so they collapse into a single `<*>`:
 * otherwise every list length would land in a different token-count bucket.
 */
export function maskMessage(message: string): string[] {
  const text =
    message.indexOf("'") >= 0 || message.indexOf('"') >= 0 ? message.replace(QUOTED, `$1${WILDCARD}`) : message;
  const tokens: string[] = [];
  // Raw text of the previous token when it was masked; '' when it was a constant.
  let prevMaskedRaw = '';
  const n = text.length;
  let start = -1;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 32;
    // Space, tab, LF, VT, FF and CR separate tokens.
    const isSpace = c === 32 || (c >= 9 && c <= 13);
    if (!isSpace) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    const raw = text.slice(start, i);
    start = -1;
    const token = maskToken(raw);
    if (token !== WILDCARD) {
      tokens.push(token);
      prevMaskedRaw = '';
      continue;
    }
    if (prevMaskedRaw !== '' && valueShape(prevMaskedRaw) === valueShape(raw)) {
      prevMaskedRaw = raw;
      continue;
    }
    tokens.push(WILDCARD);
    prevMaskedRaw = raw;
  }
  return tokens;
}
