// Lexing a log message into raw tokens: whitespace words, quoted spans kept whole, `key=value` and `name(value)` split.
//
// The miner compares messages position by position, so the lexer decides what
// a "position" is. It stays generic: no rule names a log source.

/** One raw token and the separator that preceded it in the message (`' '` or `''` when glued to the previous token). */
export interface RawToken {
  text: string;
  sep: string;
  /** True for a quoted span (`"…"`, `'…'`), which is one value however many words it holds. */
  quoted: boolean;
}

/**
 * Quoted spans. A quote opens only at the start of a word or after `= ( [ { : ,`
 * and closes only before whitespace, punctuation or the end, so apostrophes
 * inside words ("can't", "user's") are left alone.
 */
const QUOTED = /(?<=^|[\s=([{:,])(?:'[^'\n]*'|"[^"\n]*")(?=$|[\s,;:.)\]}])/g;

/** A `key=` key: starts with a letter or underscore and holds no brackets or quotes after its first character. */
const KEY = /^[([{]?[A-Za-z_][\w.\-[\]]*=$/;

/** `name(value)`, `name[value]`, `name{value}`: a word glued to an opening bracket and at least two more characters. */
const CALL = /^([A-Za-z_][\w.$-]*[([{])(.{2,})$/;

/** Dot leaders between a name and its value (`depth........0`). */
const LEADERS = /^(.*?[^.]\.{3,})([^.].*)$/;

/**
 * Splits one whitespace-free word into the pieces the statistics compare:
 * `key=value` at the first `=` (operators like `==>`, bare `key=` and values
 * holding their own `=` stay whole), `name(value)` after the bracket, and
 * `name....value` after the dot leaders. Each split leaves a constant-looking
 * head and a value-looking tail, so a value can be masked without its name.
 */
function splitWord(word: string, sep: string, out: RawToken[]): void {
  const eq = word.indexOf('=');
  if (eq > 0 && eq < word.length - 1 && word.charCodeAt(eq + 1) !== 61 /* = */) {
    const key = word.slice(0, eq + 1);
    if (KEY.test(key)) {
      out.push({ text: key, sep, quoted: false });
      out.push({ text: word.slice(eq + 1), sep: '', quoted: false });
      return;
    }
  }
  const split = CALL.exec(word) ?? (word.indexOf('...') > 0 ? LEADERS.exec(word) : null);
  if (split !== null && eq < 0) {
    out.push({ text: split[1] ?? '', sep, quoted: false });
    out.push({ text: split[2] ?? '', sep: '', quoted: false });
    return;
  }
  out.push({ text: word, sep, quoted: false });
}

function isSpaceCode(c: number): boolean {
  // Space, tab, LF, VT, FF and CR separate tokens.
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * Whitespace-splits an unquoted stretch of the message. Its first word is glued
 * (separator `''`) when the stretch does not start with whitespace and a token
 * precedes it, as in `"a":1` or `key="v",`.
 */
function splitWords(text: string, out: RawToken[]): void {
  let sep = out.length === 0 ? ' ' : '';
  let start = -1;
  const n = text.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 32;
    if (!isSpaceCode(c)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      splitWord(text.slice(start, i), sep, out);
      start = -1;
    }
    sep = ' ';
  }
}

/**
 * Lexes a message into raw tokens. Quoted spans become single tokens (a
 * multi-word value cannot change the token count); the text around them is
 * split on whitespace runs, and `key=value` words into `key=` and `value`.
 */
export function lex(message: string): RawToken[] {
  const out: RawToken[] = [];
  if (message.indexOf('"') < 0 && message.indexOf("'") < 0) {
    splitWords(message, out);
    return out;
  }
  let last = 0;
  QUOTED.lastIndex = 0;
  for (let m = QUOTED.exec(message); m !== null; m = QUOTED.exec(message)) {
    splitWords(message.slice(last, m.index), out);
    const spaced = out.length === 0 || m.index === 0 || isSpaceCode(message.charCodeAt(m.index - 1));
    out.push({ text: m[0], sep: spaced ? ' ' : '', quoted: true });
    last = m.index + m[0].length;
  }
  splitWords(message.slice(last), out);
  return out;
}
