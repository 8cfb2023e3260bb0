// mkdir -p that fails rather than spins (src/make-directory.ts). The /proc case, where Node's recursive mkdir spins
// for ever, runs in a child process (test/e2e/embedded-database.test.ts): here a regression would hang the run.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirectory } from '../../src/make-directory.js';

describe('makeDirectory', () => {
  const base = mkdtempSync(join(tmpdir(), 'warroom-mkdir-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('makes every missing level, with the mode asked, and leaves an existing directory as it is', () => {
    const deep = join(base, 'a', 'b', 'c');
    makeDirectory(deep, 0o700);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(statSync(join(base, 'a')).mode & 0o777).toBe(0o700);
    makeDirectory(deep);
    makeDirectory(base);
    expect(statSync(deep).isDirectory()).toBe(true);
  });

  it('throws EEXIST for a file where the directory should be, and ENOTDIR for a path under a file', () => {
    const file = join(base, 'a-file');
    writeFileSync(file, '');
    expect(() => makeDirectory(file)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => makeDirectory(join(file, 'x', 'y'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(existsSync(join(file, 'x'))).toBe(false);
  });
});
