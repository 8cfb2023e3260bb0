// Alertmanager-compatible label matchers, the building block of silences: `=`, `!=`, `=~`, `!~`.
//
// Semantics follow prometheus/alertmanager pkg/labels (matcher.go, parse.go):
// - a regex is fully anchored: `value` is compiled as `^(?:value)$`, so `web` does not match `web-1`;
// - a matcher on a label the alert does not have is tested against the empty string, so `env!="prod"` matches
//   an alert without `env`, and `env=~".*"` matches every alert;
// - the string form is `name<op>value` with the value optionally in double quotes (`\"`, `\\`, `\n` escapes),
//   and a list is comma-separated, optionally in braces: `{alertname="HighCPU", env=~"prod|staging"}`.
//
// Regexes run on RE2 (the re2js package), as in Alertmanager (Go's regexp is RE2): the same syntax, inline flags
// such as `(?i)` included, no backreferences or lookaround, and matching in linear time, so a pattern built for
// catastrophic backtracking on a backtracking engine (`(a|a)*$`) costs no more than any other. A pattern longer than MAX_MATCHER_VALUE is refused.

import { RE2JS } from 're2js';

/** A silence matcher as Alertmanager's API v2 writes it. `is_equal` false negates (`!=`, `!~`). */
export interface MatcherObject {
  name: string;
  value: string;
  is_regex: boolean;
  is_equal?: boolean;
}

export type MatcherOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatcherOp;
  value: string;
  /** True when the alert's labels satisfy this matcher (missing label = empty string). */
  matches(labels: Readonly<Record<string, string>>): boolean;
}

/** Longest label name a matcher may name. */
export const MAX_MATCHER_NAME = 256;
/** Longest value or regex pattern, in characters. */
export const MAX_MATCHER_VALUE = 1024;
/** Largest count in a regex repeat (`{n}`, `{n,m}`); RE2's own limit is 1000. */
export const MAX_REPEAT = 100;
/** Most matchers in one list (one silence). */
export const MAX_MATCHERS = 64;

export interface MatcherIssue {
  path: string;
  message: string;
}

/** A matcher that cannot be used: bad syntax, unknown operator, invalid or unsafe regex. */
export class MatcherError extends Error {
  override readonly name = 'MatcherError';
  constructor(
    message: string,
    readonly issues: MatcherIssue[],
  ) {
    super(message);
  }
}

const fail = (path: string, message: string): MatcherError =>
  new MatcherError(`${path}: ${message}`, [{ path, message }]);

// Alertmanager's classic label-name grammar (parse.go): letters, digits, `_` and `:`, not starting with a digit.
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const STRING_FORM = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|!~|!=|=)\s*([\s\S]*?)\s*$/;

/**
 * Compile one matcher from its object form (`{name, value, is_regex, is_equal}`) or its string form
 * (`name=~"value"`). Throws MatcherError naming `path` when the name, operator or regex is unusable.
 */
export function parseMatcher(input: string | MatcherObject, path = 'matcher'): Matcher {
  if (typeof input === 'string') {
    const m = STRING_FORM.exec(input);
    if (!m) throw fail(path, `expected name followed by =, !=, =~ or !~ and a value, got ${JSON.stringify(input)}`);
    const [, name = '', op = '=', rawValue = ''] = m;
    return compile(name, op as MatcherOp, unquote(rawValue, path), path);
  }
  const isEqual = input.is_equal ?? true;
  const op: MatcherOp = input.is_regex ? (isEqual ? '=~' : '!~') : isEqual ? '=' : '!=';
  return compile(input.name, op, input.value, path);
}

/**
 * Compile a list of matchers: a string `{a="b", c=~"d"}` (braces optional, commas outside quotes separate) or an
 * array of strings/objects. Issues are reported as `path[i]`. An alert is silenced when every matcher matches.
 */
export function parseMatchers(input: string | readonly (string | MatcherObject)[], path = 'matchers'): Matcher[] {
  const items = typeof input === 'string' ? splitMatcherList(input, path) : input;
  if (items.length > MAX_MATCHERS) throw fail(path, `at most ${MAX_MATCHERS} matchers`);
  const out: Matcher[] = [];
  const issues: MatcherIssue[] = [];
  items.forEach((item, i) => {
    try {
      out.push(parseMatcher(item, `${path}[${i}]`));
    } catch (err) {
      if (err instanceof MatcherError) issues.push(...err.issues);
      else throw err;
    }
  });
  if (issues.length > 0) throw new MatcherError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  return out;
}

/** True when every matcher matches (the empty list matches everything, as Alertmanager's silences never are empty). */
export function matchesAll(labels: Readonly<Record<string, string>>, matchers: readonly Matcher[]): boolean {
  return matchers.every((m) => m.matches(labels));
}

/** The string form of a matcher, quoting the value: `env=~"prod|staging"`. */
export function formatMatcher(m: Pick<Matcher, 'name' | 'op' | 'value'>): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

function compile(name: string, op: MatcherOp, value: string, path: string): Matcher {
  if (name.length === 0 || name.length > MAX_MATCHER_NAME || !NAME.test(name)) {
    throw fail(
      path,
      `label name ${JSON.stringify(name.slice(0, 100))} must match [a-zA-Z_:][a-zA-Z0-9_:]* and be at most ${MAX_MATCHER_NAME} characters`,
    );
  }
  if (value.length > MAX_MATCHER_VALUE) throw fail(path, `value must be at most ${MAX_MATCHER_VALUE} characters`);
  const get = (labels: Readonly<Record<string, string>>): string =>
    Object.prototype.hasOwnProperty.call(labels, name) ? (labels[name] ?? '') : '';
  if (op === '=' || op === '!=') {
    const equal = op === '=';
    return { name, op, value, matches: (labels) => (get(labels) === value) === equal };
  }
  const re = compileAnchored(value, path);
  const equal = op === '=~';
  return { name, op, value, matches: (labels) => re.test(get(labels)) === equal };
}

/**
 * `^(?:pattern)$` compiled by RE2 (re2js, a port of Go's regexp engine): the dialect Alertmanager's matchers use,
 * with matching in time linear in the input, so no silence can stall the process, whatever its pattern.
 */
function compileAnchored(pattern: string, path: string): { test(text: string): boolean } {
  // RE2 matches in linear time, but a counted repeat is unrolled into its program: `.{0,1000}` twice costs
  // hundreds of milliseconds per long label. Label matchers never need large counts.
  if (repeatCounts(pattern).some((n) => n > MAX_REPEAT)) {
    throw fail(path, `invalid regex: a counted repeat may not exceed {${MAX_REPEAT}}`);
  }
  try {
    // The pattern alone first, so an error quotes what the user wrote, not it inside the anchoring group.
    RE2JS.compile(pattern);
    const re = RE2JS.compile(`^(?:${pattern})$`);
    return { test: (text) => re.matches(text) };
  } catch (err) {
    throw fail(
      path,
      `invalid regex (RE2 syntax, as Alertmanager's): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/**
 * The counts of every counted repeat (`{n}`, `{n,}`, `{n,m}`) in an RE2 pattern. Braces that are not a repeat are
 * skipped as RE2 reads them: escaped (`\{`), in an escape's own braces (`\x{101}`, `\p{Greek}`), quoted
 * (`\Q…\E`) or in a character class (`[{]`). A plain scan for `{digits}` refused the valid `\x{101}` (the letter ā)
 * as "a counted repeat over {100}" (review, 2026-12-01).
 */
export function repeatCounts(pattern: string): number[] {
  const counts: number[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        i = end < 0 ? pattern.length : end + 1;
      } else if ((next === 'x' || next === 'p' || next === 'P') && pattern[i + 2] === '{') {
        const end = pattern.indexOf('}', i + 3);
        i = end < 0 ? pattern.length : end;
      } else {
        i++;
      }
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A `]` first in the class (after an optional `^`) is a literal, not its end.
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++;
      continue;
    }
    if (c !== '{') continue;
    const m = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i));
    if (!m) continue;
    counts.push(Number(m[1]));
    if (m[2]) counts.push(Number(m[2]));
    i += m[0].length - 1;
  }
  return counts;
}

/** A value in double quotes loses them and its `\"`, `\\`, `\n`, `\t` escapes; an unquoted one is taken as is. */
function unquote(raw: string, path: string): string {
  if (!raw.startsWith('"')) return raw;
  if (raw.length < 2 || !raw.endsWith('"')) throw fail(path, 'unterminated quoted value');
  let out = '';
  for (let i = 1; i < raw.length - 1; i++) {
    const c = raw[i];
    if (c === '\\') {
      const n = raw[++i];
      if (n === 'n') out += '\n';
      else if (n === 't') out += '\t';
      else if (n === '"' || n === '\\') out += n;
      else throw fail(path, `unknown escape \\${n ?? ''} in quoted value`);
    } else if (c === '"') {
      throw fail(path, 'unescaped " inside quoted value');
    } else {
      out += c;
    }
  }
  return out;
}

/** Split `{a="b,c", d=~"e"}` into its matchers at commas outside quotes. */
function splitMatcherList(input: string, path: string): string[] {
  let s = input.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw fail(path, 'missing closing }');
    s = s.slice(1, -1);
  }
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (quoted && c === '\\') {
      cur += c + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (quoted) throw fail(path, 'unterminated quoted value');
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}
