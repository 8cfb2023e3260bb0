// The labels fingerprint: documented canonical form, and label order never changes it.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { labelsFingerprint } from '../../../src/integrations/fingerprint.js';

describe('labelsFingerprint', () => {
  it('does not depend on label order', () => {
    const a = labelsFingerprint({ alertname: 'HighCPU', env: 'prod', instance: 'web-1' });
    const b = labelsFingerprint({ instance: 'web-1', env: 'prod', alertname: 'HighCPU' });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes the documented canonical form', () => {
    const want = createHash('sha256').update('[["alertname","HighCPU"],["env","prod"]]').digest('hex');
    expect(labelsFingerprint({ env: 'prod', alertname: 'HighCPU' })).toBe(want);
    expect(labelsFingerprint({})).toBe(createHash('sha256').update('[]').digest('hex'));
  });

  it('tells apart label sets a naive join would confuse', () => {
    expect(labelsFingerprint({ a: 'b,c=d' })).not.toBe(labelsFingerprint({ a: 'b', c: 'd' }));
    expect(labelsFingerprint({ a: 'x' })).not.toBe(labelsFingerprint({ a: 'y' }));
  });
});
