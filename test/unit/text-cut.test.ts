// Cutting text by characters (code points), never through a surrogate pair; making text well-formed for JSON.
import { describe, expect, it } from 'vitest';
import { cutBytes, cutText, wellFormed } from '../../src/text-cut.js';

describe('cutText', () => {
  it('counts an emoji as one character and never splits it', () => {
    expect(cutText('ab\u{1F6A8}cd', 3)).toBe('ab\u{1F6A8}');
    expect(cutText('ab\u{1F6A8}cd', 2)).toBe('ab');
    expect(cutText('\u{1F6A8}'.repeat(5), 4)).toBe('\u{1F6A8}'.repeat(4));
  });

  it('leaves text at or under the limit as it is, and cuts plain text at the limit', () => {
    expect(cutText('abc', 3)).toBe('abc');
    expect(cutText('\u{1F6A8}\u{1F6A8}', 2)).toBe('\u{1F6A8}\u{1F6A8}');
    expect(cutText('abcd', 3)).toBe('abc');
    expect(cutText('', 0)).toBe('');
    expect(cutText('a', 0)).toBe('');
  });
});

describe('wellFormed', () => {
  it('replaces unpaired halves with U+FFFD and keeps pairs', () => {
    expect(wellFormed('a\uD83D')).toBe('a\uFFFD');
    expect(wellFormed('\uDEA8b')).toBe('\uFFFDb');
    expect(wellFormed('\u{1F6A8}')).toBe('\u{1F6A8}');
    expect(wellFormed('plain')).toBe('plain');
  });
});

describe('cutBytes', () => {
  it('cuts to a UTF-8 byte budget, never through a character', () => {
    expect(cutBytes('abc', 2)).toBe('ab');
    expect(cutBytes('a漢b', 3)).toBe('a');
    expect(cutBytes('a漢b', 4)).toBe('a漢');
    expect(cutBytes('\u{1F6A8}\u{1F6A8}', 7)).toBe('\u{1F6A8}');
    expect(cutBytes('é'.repeat(10), 5)).toBe('éé');
    expect(cutBytes('short', 100)).toBe('short');
  });
});

describe('quote (the analyzer quoting a log line)', () => {
  it('cuts by characters, never through an emoji (it stored U+FFFD in root causes)', async () => {
    const { quote } = await import('../../src/analysis/text.js');
    const line = `FATAL: too many clients ${'x'.repeat(84)}\u{1F680}\u{1F680}\u{1F680} tail`;
    for (let max = 100; max <= 115; max++) {
      const q = quote(line, max);
      expect(wellFormed(q), `max ${max}`).toBe(q);
      expect(Array.from(q).length).toBeLessThanOrEqual(max + 2);
    }
  });
});
