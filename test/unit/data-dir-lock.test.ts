// The DATA_DIR lock (src/db/data-dir-lock.ts): a lock whose pid now belongs to another process, or to another run
// of one, is stale and taken over (operations review, 2026-12-02: a lock naming pid 1 blocked every start); a lock
// held by a live run of a process is not.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

  it('lets exactly one of several processes starting at once take it, and leaves no temporary file', async () => {
    // Six processes load the module once, then for each line they are sent (a fresh directory) try to lock it, all at
    // once, each holding what it got. Created empty and then written, the lock could be read empty by a second
    // starter, which took it as stale and replaced it: two owners (review, 2026-12-02).
    const module = resolve('src/db/data-dir-lock.ts');
    const script =
      `const { lockDataDir } = await import(${JSON.stringify(module)});` +
      "const { createInterface } = await import('node:readline');" +
      "console.log('ready');" +
      "createInterface({ input: process.stdin }).on('line', (d) => {" +
      "  try { lockDataDir(d); console.log('locked'); } catch { console.log('refused'); }" +
      '});';
    const children = Array.from({ length: 6 }, () => {
      const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const lines: string[] = [];
      const waiting = new Set<() => void>();
      let partial = '';
      p.stdout.on('data', (chunk: Buffer) => {
        partial += chunk.toString();
        const complete = partial.split('\n');
        partial = complete.pop() ?? '';
        lines.push(...complete);
        for (const check of waiting) check();
      });
      /** Resolves with the line at `index` once it has come. */
      const line = (index: number): Promise<string> =>
        new Promise((done) => {
          const check = (): void => {
            const got = lines[index];
            if (got === undefined) return;
            waiting.delete(check);
            done(got);
          };
          waiting.add(check);
          check();
        });
      return { p, line };
    });
    try {
      await Promise.all(children.map((c) => c.line(0)));
      for (let round = 1; round <= 5; round++) {
        const d = mkdtempSync(join(tmpdir(), 'warroom-lock-race-'));
        try {
          for (const c of children) c.p.stdin.write(`${d}\n`);
          const outcomes = await Promise.all(children.map((c) => c.line(round)));
          expect(outcomes.filter((o) => o === 'locked')).toHaveLength(1);
          expect(outcomes.filter((o) => o === 'refused')).toHaveLength(5);
          expect(readdirSync(d)).toEqual(['warroom.lock']);
        } finally {
          rmSync(d, { recursive: true, force: true });
        }
      }
    } finally {
      for (const c of children) c.p.kill();
    }
  }, 60_000);

  it('removes the temporary files of a starter that died, and not those of one still running', async () => {
    const d = fresh();
    const pid = await liveNode();
    // Above Linux's largest pid (2^22): no process has it.
    const dead = 'warroom.lock.9999999.0a1b2c3d';
    const live = `warroom.lock.${pid}.0a1b2c3d`;
    writeFileSync(join(d, dead), '');
    writeFileSync(join(d, live), '');
    lockDataDir(d)();
    expect(readdirSync(d).sort()).toEqual([live]);
    // One it cannot remove (here a directory of that name) is left, and the lock is still taken.
    mkdirSync(join(d, dead));
    const release = lockDataDir(d);
    expect(readdirSync(d).sort()).toEqual([live, 'warroom.lock', dead].sort());
    release();
  });
});
