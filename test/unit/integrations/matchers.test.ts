// Alertmanager-compatible matchers: the four operators, full anchoring, missing labels, both input forms, guards.
import { describe, expect, it } from 'vitest';
import {
  MatcherError,
  formatMatcher,
  matchesAll,
  parseMatcher,
  parseMatchers,
  repeatCounts,
} from '../../../src/integrations/matchers.js';

const alert = { alertname: 'HighCPU', env: 'prod', instance: 'web-1' };

describe('operators', () => {
  it('= and !=', () => {
    expect(parseMatcher('env="prod"').matches(alert)).toBe(true);
    expect(parseMatcher('env="staging"').matches(alert)).toBe(false);
    expect(parseMatcher('env!="staging"').matches(alert)).toBe(true);
    expect(parseMatcher('env!="prod"').matches(alert)).toBe(false);
  });
  it('=~ and !~', () => {
    expect(parseMatcher('env=~"prod|staging"').matches(alert)).toBe(true);
    expect(parseMatcher('env!~"prod|staging"').matches(alert)).toBe(false);
    expect(parseMatcher('instance=~"web-.*"').matches(alert)).toBe(true);
    expect(parseMatcher('instance!~"db-.*"').matches(alert)).toBe(true);
  });
});

describe('anchoring', () => {
  it('a regex must match the whole value, as in Alertmanager', () => {
    expect(parseMatcher('instance=~"web"').matches(alert)).toBe(false);
    expect(parseMatcher('instance=~"eb-1"').matches(alert)).toBe(false);
    expect(parseMatcher('instance=~"web-1|db"').matches(alert)).toBe(true);
    expect(parseMatcher('instance!~"web"').matches(alert)).toBe(true);
  });
  it('a leading (?i) makes it case-insensitive', () => {
    expect(parseMatcher('alertname=~"(?i)highcpu"').matches(alert)).toBe(true);
  });
});

describe('missing label matches the empty string', () => {
  it.each([
    ['team=""', true],
    ['team!=""', false],
    ['team!="ops"', true],
    ['team="ops"', false],
    ['team=~".*"', true],
    ['team=~".+"', false],
    ['team!~".+"', true],
  ])('%s → %s', (m, want) => {
    expect(parseMatcher(m).matches(alert)).toBe(want);
  });
  it('does not read inherited properties as labels', () => {
    expect(parseMatcher('constructor=""').matches(alert)).toBe(true);
  });
});

describe('forms', () => {
  it('object form, is_equal defaulting to true', () => {
    expect(parseMatcher({ name: 'env', value: 'prod', is_regex: false }).op).toBe('=');
    expect(parseMatcher({ name: 'env', value: 'p.*', is_regex: true, is_equal: false }).op).toBe('!~');
    expect(parseMatcher({ name: 'env', value: 'prod', is_regex: false, is_equal: false }).matches(alert)).toBe(false);
  });
  it('unquoted and escaped values', () => {
    expect(parseMatcher('env = prod').value).toBe('prod');
    expect(parseMatcher('msg="say \\"hi\\", a\\\\b"').value).toBe('say "hi", a\\b');
  });
  it('a list in braces with commas inside quotes', () => {
    const ms = parseMatchers('{alertname="HighCPU", env=~"prod|staging", note="a,b"}');
    expect(ms.map(formatMatcher)).toEqual(['alertname="HighCPU"', 'env=~"prod|staging"', 'note="a,b"']);
    expect(matchesAll(alert, ms.slice(0, 2))).toBe(true);
    expect(matchesAll(alert, ms)).toBe(false);
  });
});

describe('errors', () => {
  const issueOf = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(MatcherError);
      return (err as MatcherError).issues;
    }
    throw new Error('expected a MatcherError');
  };
  it('invalid regex names the matcher', () => {
    const issues = issueOf(() => parseMatchers(['env="prod"', 'instance=~"web-(["']));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('matchers[1]');
    expect(issues[0]?.message).toMatch(/invalid regex/);
  });
  it('bad syntax, bad name, unterminated quote', () => {
    expect(issueOf(() => parseMatcher('env'))[0]?.message).toMatch(/expected name/);
    expect(issueOf(() => parseMatcher({ name: '1x', value: 'a', is_regex: false }))[0]?.message).toMatch(/label name/);
    expect(issueOf(() => parseMatcher('env="prod'))[0]?.message).toMatch(/unterminated/);
  });
  it('runs patterns built for catastrophic backtracking in linear time (RE2), and refuses what RE2 lacks', () => {
    // On a backtracking engine each of these takes hours on 5000 characters and a mismatch at the end: were the
    // engine ever to backtrack, this test would exceed its timeout rather than pass.
    const text = `${'a'.repeat(5000)}!`;
    for (const p of ['(a+)+$', '(a|a)*$', '(a|aa)*c', '(\\w|\\d)+$', '(a?){25}a{25}', '(a|b|ab)*c', '(x+){2,}']) {
      const m = parseMatcher({ name: 'a', value: p, is_regex: true });
      expect(m.matches({ a: text })).toBe(false);
    }
    expect(issueOf(() => parseMatcher({ name: 'a', value: '(a)\\1', is_regex: true }))[0]?.message).toMatch(
      /invalid regex/,
    );
    expect(issueOf(() => parseMatcher({ name: 'a', value: '(?=a)a', is_regex: true }))[0]?.message).toMatch(
      /invalid regex/,
    );
    expect(issueOf(() => parseMatcher({ name: 'a', value: 'a'.repeat(1025), is_regex: true }))[0]?.message).toMatch(
      /1024/,
    );
  });
  it('counts only repeats: braces of an escape, a quote or a class are not one', () => {
    // \x{101} is the letter ā; it was refused as "a counted repeat may not exceed {100}".
    expect(parseMatcher({ name: 'a', value: '\\x{101}', is_regex: true }).matches({ a: 'ā' })).toBe(true);
    for (const p of ['\\x{1000}', '\\Q{500}\\E', '[{500}]', '[]{500}]', '\\{500}', '\\p{Greek}+']) {
      expect(() => parseMatcher({ name: 'a', value: p, is_regex: true }), p).not.toThrow();
    }
    expect(repeatCounts('\\p{Greek}{3}a{2,300}[^]]{200}\\\\{7}')).toEqual([3, 2, 300, 200, 7]);
    for (const p of ['a{101}', 'a{2,101}', 'x{1000,}', '[^]]{200}', '\\\\{200}', '\\x{41}{101}']) {
      expect(issueOf(() => parseMatcher({ name: 'a', value: p, is_regex: true }))[0]?.message, p).toMatch(/\{100\}/);
    }
  });
  it('quotes the pattern as written in its error, not inside the anchoring group', () => {
    const message = issueOf(() => parseMatcher({ name: 'a', value: '\\x{101', is_regex: true }))[0]?.message ?? '';
    expect(message).toMatch(/invalid regex/);
    expect(message).not.toContain('(?:');
    expect(message).not.toContain('\\x{101)');
  });
  it('accepts ordinary patterns with quantifiers', () => {
    for (const p of ['web-[0-9]+', '(prod|staging)-.*', '(ab)+', '[(+)]+x', 'a{2,3}']) {
      expect(() => parseMatcher({ name: 'a', value: p, is_regex: true })).not.toThrow();
    }
  });
});
