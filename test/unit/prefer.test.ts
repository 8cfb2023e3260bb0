// Parsing `Prefer` (RFC 7240 §2) for return=minimal: the boundary between what asks for it and what does not.
import { describe, expect, it } from 'vitest';
import { prefersMinimalReturn } from '../../src/rest/prefer.js';

describe('prefersMinimalReturn', () => {
  it.each([
    'return=minimal',
    'RETURN=Minimal',
    ' return = minimal ',
    'return="minimal"',
    'respond-async, return=minimal',
    'return=minimal; foo=bar',
    'wait=10, respond-async,return=minimal',
  ])('%j asks for it', (header) => {
    expect(prefersMinimalReturn(header)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'return=representation',
    'return',
    'returns=minimal',
    'return=minimalist',
    'respond-async',
    'foo; return=minimal',
    'return=representation, return=minimal',
  ])('%j does not', (header) => {
    expect(prefersMinimalReturn(header)).toBe(false);
  });
});
