// The DATA_DIR lock (src/db/data-dir-lock.ts): a lock whose pid now belongs to another process, or to another run
// of one, is stale and taken over (operations review, 2026-12-02: a lock naming pid 1 blocked every start); a lock
// held by a live run of a process is not.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, lockDataDir, processIdentity } from '../../src/db/data-dir-lock.js';

const onLinux = processIdentity(process.pid) !== undefined;
let dir = '';
let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill();
  child = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});
const fresh = (): string => (dir = mkdtempSync(join(tmpdir(), 'warroom-lock-')));

/** A live Node.js process other than this one. */
async function liveNode(): Promise<number> {
  child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  await new Promise((resolve) => child?.once('spawn', resolve));
  return child.pid ?? 0;
}

describe.skipIf(!onLinux)('lockDataDir (needs /proc: Linux)', () => {
  it('writes its pid and identity, and releases only its own lock', () => {
    const d = fresh();
    const release = lockDataDir(d);
    const [pid, identity] = readFileSync(join(d, 'warroom.lock'), 'utf8').split('\n');
    expect(Number(pid)).toBe(process.pid);
    expect(identity).toBe(processIdentity(process.pid));
    release();
    expect(() => readFileSync(join(d, 'warroom.lock'))).toThrow();
  });

  it('refuses a lock held by a live run of another process', async () => {
    const d = fresh();
    const pid = await liveNode();
    writeFileSync(join(d, 'warroom.lock'), `${pid}\n${processIdentity(pid) ?? ''}\n`);
    expect(() => lockDataDir(d)).toThrow(DataDirInUseError);
    // A lock of an earlier release (its pid alone) naming a live Node.js process is refused too.
    writeFileSync(join(d, 'warroom.lock'), String(pid));
    expect(() => lockDataDir(d)).toThrow(DataDirInUseError);
  });

  it('takes over a lock whose pid now belongs to another run of a process', async () => {
    const d = fresh();
    const pid = await liveNode();
    writeFileSync(join(d, 'warroom.lock'), `${pid}\nanother-boot:12345\n`);
    lockDataDir(d)();
  });

  it('takes over a lock of an earlier release naming a process that is not Node.js (pid 1 after a reboot)', () => {
    const d = fresh();
    const argv0 = readFileSync('/proc/1/cmdline', 'utf8').split('\0')[0] ?? '';
    if (/node/i.test(argv0)) return; // pid 1 is Node.js here (a container running node as init): nothing to show.
    writeFileSync(join(d, 'warroom.lock'), '1');
    lockDataDir(d)();
  });
});
