// API keys: their shape, prefix, hashing, constant-time match, durations and what each scope grants.
import { describe, expect, it } from 'vitest';
import { durationMs, grants, matchesHash, newSecret, prefixOf, sha256 } from '../../src/domain/keys.js';
import { checkScope } from '../../src/domain/access.js';
import { AppError } from '../../src/domain/errors.js';

const principal = (scopes: ('ingest' | 'read' | 'write' | 'admin')[]) => ({ id: 'i', name: 'ci', prefix: 'p', scopes });

describe('keys', () => {
  it('are wr_ and 256 random bits, found by a 12-character prefix', () => {
    const key = newSecret();
    expect(key).toMatch(/^wr_[A-Za-z0-9_-]{43}$/);
    expect(prefixOf(key)).toBe(key.slice(3, 15));
    expect(newSecret()).not.toBe(key);
    expect(prefixOf('wr_short')).toBeUndefined();
    expect(prefixOf(`xx_${key.slice(3)}`)).toBeUndefined();
  });

  it('match their hash only', () => {
    const key = newSecret();
    expect(matchesHash(key, sha256(key))).toBe(true);
    expect(matchesHash(newSecret(), sha256(key))).toBe(false);
    expect(matchesHash(key, 'abcd')).toBe(false);
  });

  it('read durations', () => {
    expect(durationMs('90d')).toBe(90 * 86_400_000);
    expect(durationMs('12h')).toBe(12 * 3_600_000);
    expect(durationMs('30m')).toBe(30 * 60_000);
  });

  it('grant by implication: write implies read, admin everything, ingest only itself', () => {
    expect(grants(['write'], 'read')).toBe(true);
    expect(grants(['write'], 'ingest')).toBe(false);
    expect(grants(['read'], 'write')).toBe(false);
    expect(grants(['ingest'], 'read')).toBe(false);
    for (const s of ['ingest', 'read', 'write', 'admin'] as const) expect(grants(['admin'], s)).toBe(true);
    expect(grants(['ingest', 'read'], 'read')).toBe(true);
  });

  it('checkScope: open passes, no principal is 401, a missing scope 403 naming it', () => {
    expect(() => checkScope({ enforced: false }, 'admin')).not.toThrow();
    const missing = (() => {
      try {
        checkScope({ enforced: true, refusal: 'revoked' }, 'read');
      } catch (e) {
        return e;
      }
    })();
    expect(missing).toBeInstanceOf(AppError);
    expect((missing as AppError).code).toBe('UNAUTHENTICATED');
    expect((missing as AppError).message).toMatch(/revoked/);
    const forbidden = (() => {
      try {
        checkScope({ enforced: true, principal: principal(['read']) }, 'write');
      } catch (e) {
        return e;
      }
    })();
    expect((forbidden as AppError).code).toBe('FORBIDDEN');
    expect((forbidden as AppError).message).toMatch(/`write`/);
    expect(() => checkScope({ enforced: true, principal: principal(['write']) }, 'read')).not.toThrow();
  });
});
