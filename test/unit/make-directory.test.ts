// mkdir -p that fails rather than spins (src/make-directory.ts). The /proc case, where Node's recursive mkdir spins
// for ever, runs in a child process (test/e2e/embedded-database.test.ts): here a regression would hang the run.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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

  // A review (2026-12-03): path.resolve dropped `link/..` from the text and made a stray directory beside the link.
  it("makes `link/../data` where the kernel finds it: beside the link's target", () => {
    mkdirSync(join(base, 'elsewhere', 'real'), { recursive: true });
    symlinkSync(join(base, 'elsewhere', 'real'), join(base, 'link'));
    // Built by hand: path.join would normalise `link/..` away too.
    makeDirectory(`${base}/link/../data`);
    expect(statSync(join(base, 'elsewhere', 'data')).isDirectory()).toBe(true);
    expect(existsSync(join(base, 'data'))).toBe(false);
  });

  it('throws EEXIST for a file where the directory should be, and ENOTDIR for a path under a file', () => {
    const file = join(base, 'a-file');
    writeFileSync(file, '');
    expect(() => makeDirectory(file)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => makeDirectory(join(file, 'x', 'y'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(existsSync(join(file, 'x'))).toBe(false);
  });
});
