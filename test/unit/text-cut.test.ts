// Cutting text by characters (code points), never through a surrogate pair; making text well-formed for JSON.
import { describe, expect, it } from 'vitest';
import { cutText, wellFormed } from '../../src/text-cut.js';

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
