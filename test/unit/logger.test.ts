// Logged errors name their class as written, also where the production bundle renamed it (build.mjs).
import { describe, expect, it } from 'vitest';
import { serializeError } from '../../src/logger.js';

describe('serializeError', () => {
  it("drops the bundle's numeric suffix from a colliding class name", () => {
    // What esbuild makes of pg's DatabaseError when another module's class has the same name.
    const DatabaseError2 = class extends Error {};
    expect(serializeError(new DatabaseError2('relation "events" does not exist'))).toMatchObject({
      type: 'DatabaseError',
      message: 'relation "events" does not exist',
    });
  });
  it('leaves names that do not end in a suffix alone', () => {
    class AppError extends Error {}
    class S3Error extends Error {}
    expect(serializeError(new AppError('x'))).toMatchObject({ type: 'AppError' });
    expect(serializeError(new S3Error('x'))).toMatchObject({ type: 'S3Error' });
    expect(serializeError(new TypeError('x'))).toMatchObject({ type: 'TypeError' });
  });
  it('keeps digits that are part of a name', () => {
    class RE2 extends Error {}
    class ErrorV2 extends Error {}
    expect(serializeError(new RE2('x'))).toMatchObject({ type: 'RE2' });
    expect(serializeError(new ErrorV2('x'))).toMatchObject({ type: 'ErrorV2' });
  });
  it("leaves out the pg Client pg-pool attaches to an idle connection's error (its cancel key among it)", () => {
    const err = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      client: { processID: 1234, secretKey: 5678 },
    });
    const out = serializeError(err);
    expect(out).toMatchObject({ type: 'Error', code: '57P01' });
    expect(out).not.toHaveProperty('client');
    expect(err.client.secretKey).toBe(5678);
  });
  it('passes through what is not an Error (an unhandled rejection may carry anything) without throwing', () => {
    for (const reason of ['a plain string reason', null, undefined, 42, { code: 1 }]) {
      expect(() => serializeError(reason)).not.toThrow();
    }
    expect(serializeError('a plain string reason')).toBe('a plain string reason');
  });
  it('never writes to the value it is given, and never throws, whatever that value is', () => {
    const frozen = Object.freeze({ type: 'timeout' });
    expect(serializeError(frozen)).toBe(frozen);
    const mine = { type: 'FooError2' };
    serializeError(mine);
    expect(mine.type).toBe('FooError2');
    const throwingGetter = {
      get type(): string {
        throw new Error('no');
      },
    };
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const frozenError = Object.freeze(new Error('frozen'));
    for (const value of [throwingGetter, proxy, frozenError]) expect(() => serializeError(value)).not.toThrow();
  });
});
