// What PostgreSQL can store: no NUL, no half of a surrogate pair; whole pairs (emoji) and everything else can.
import { describe, expect, it } from 'vitest';
import { LONE_SURROGATE, storableText } from '../../schema/text-rules.js';

describe('storableText', () => {
  it.each([
    ['', true],
    ['plain ascii', true],
    ['accents é and CJK 漢字', true],
    ['a whole pair 😀 and another 𝄞', true],
    ['\u2028 line and paragraph \u2029 separators', true],
    ['backslash \\u0000 as text', true],
    ['nul \u0000 inside', false],
    ['\u0000', false],
    ['high alone at the end \ud83d', false],
    ['\ude00 low alone at the start', false],
    ['reversed pair \ude00\ud83d', false],
    ['a pair 😀 then a high alone \ud83d', false],
  ])('%j → %s', (text, ok) => {
    expect(storableText(text)).toBe(ok);
    // The same verdict as the surrogate rule it replaced, for text without a NUL.
    if (!text.includes('\u0000')) expect(!LONE_SURROGATE.test(text)).toBe(ok);
  });
});
