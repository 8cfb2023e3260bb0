// Logged errors name their class as written, also where the production bundle renamed it (build.mjs).
import { describe, expect, it } from 'vitest';
import { serializeError } from '../../src/logger.js';

describe('serializeError', () => {
  it("drops the bundle's numeric suffix from a colliding class name", () => {
    // What esbuild makes of pg's DatabaseError when another module's class has the same name.
    const DatabaseError2 = class extends Error {};
    const out = serializeError(new DatabaseError2('relation "events" does not exist'));
    expect(out.type).toBe('DatabaseError');
    expect(out.message).toBe('relation "events" does not exist');
  });
  it('leaves names that do not end in a suffix alone', () => {
    class AppError extends Error {}
    class S3Error extends Error {}
    expect(serializeError(new AppError('x')).type).toBe('AppError');
    expect(serializeError(new S3Error('x')).type).toBe('S3Error');
    expect(serializeError(new TypeError('x')).type).toBe('TypeError');
  });
});
