// The embedded PostgreSQL (src/db/embedded-postgres.ts) as `npm start` runs it: it stops when Warroom goes however
// Warroom goes, comes back when it dies under a running Warroom, and refuses what it cannot open with one line.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, spawnWarroom } from './process.js';

const postmasterPid = (dir: string): number =>
  Number(readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

/**
 * The postmaster's pid, or undefined while there is no pid file: a PostgreSQL shutting down removes it, so a poll
 * that checked it exists could still find it gone when it read it (a CI run failed on that ENOENT, 2026-12-02).
 */
function postmasterPidNow(dir: string): number | undefined {
  try {
    return postmasterPid(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the embedded PostgreSQL', () => {
  it('stops when Warroom is SIGKILLed, and the next start finds the data intact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-embedded-'));
    try {
      const w = await spawnWarroom({ DATA_DIR: dir, DATABASE_URL: '' });
      const created = await w.api('/api/incidents/', { json: { title: 'survives a SIGKILL' } });
      expect(created.status).toBe(201);
      const pid = postmasterPid(dir);
      expect(alive(pid)).toBe(true);
      w.child.kill('SIGKILL');
      await until('PostgreSQL stopped after its Warroom died', () => !alive(pid), 20_000);
      const again = await spawnWarroom({ DATA_DIR: dir, DATABASE_URL: '' });
      try {
        const list = (await (await again.api('/api/incidents/')).json()) as Array<{ title: string }>;
        expect(list.map((i) => i.title)).toContain('survives a SIGKILL');
      } finally {
        expect(await again.stop()).toBe(0);
      }
      // A clean stop leaves no server behind either.
      expect(existsSync(join(dir, 'postgres', 'postmaster.pid'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is started again when it dies under a running Warroom: 503s meanwhile, then service without a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-embedded-'));
    const w = await spawnWarroom({ DATA_DIR: dir, DATABASE_URL: '' });
    try {
      const pid = postmasterPid(dir);
      process.kill(pid, 'SIGKILL');
      await until('a request answers again', async () => {
        const res = await w.api('/api/incidents/', { json: { title: 'after the crash' } });
        // Only 201 or 503 (with Retry-After) while it comes back: never a 500, never a dropped process.
        if (res.status !== 201) {
          expect(res.status).toBe(503);
          expect(res.headers.get('retry-after')).not.toBeNull();
        }
        return res.status === 201;
      });
      expect(postmasterPid(dir)).not.toBe(pid);
      expect((await w.api('/health')).status).toBe(200);
    } finally {
      expect(await w.stop()).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('turns a SIGTERM sent to PostgreSQL (a smart shutdown that would wait for our connections) into a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-embedded-'));
    const w = await spawnWarroom({ DATA_DIR: dir, DATABASE_URL: '' });
    try {
      const pid = postmasterPid(dir);
      process.kill(pid, 'SIGTERM');
      await until('a new PostgreSQL serves', () => {
        const now = postmasterPidNow(dir);
        return now !== undefined && now !== pid;
      });
      await until(
        'a request succeeds',
        async () => (await w.api('/api/incidents/', { json: { title: 'after TERM' } })).status === 201,
      );
    } finally {
      expect(await w.stop()).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('removes what a process killed during its first start left: initdb scratch in DATA_DIR, dead memory dirs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-embedded-'));
    // 2^22 is above Linux's default pid_max (4194304 is its ceiling): no live process has it.
    const dead = 4_194_304;
    mkdirSync(join(dir, `postgres.init-${dead}`));
    const abandoned = join(tmpdir(), `warroom-memory-${dead}-left`);
    mkdirSync(abandoned, { recursive: true });
    const w = await spawnWarroom({ DATA_DIR: dir, DATABASE_URL: '' });
    const m = await spawnWarroom({ DATA_DIR: 'memory', DATABASE_URL: '' });
    try {
      expect(existsSync(join(dir, `postgres.init-${dead}`))).toBe(false);
      expect(existsSync(abandoned)).toBe(false);
    } finally {
      expect(await w.stop()).toBe(0);
      expect(await m.stop()).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('DATA_DIR=memory leaves nothing behind, even when Warroom is SIGKILLed', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('warroom-memory-')));
    const w = await spawnWarroom({ DATA_DIR: 'memory', DATABASE_URL: '' });
    const mine = readdirSync(tmpdir()).filter((n) => n.startsWith('warroom-memory-') && !before.has(n));
    expect(mine).toHaveLength(1);
    const dir = join(tmpdir(), mine[0] ?? '');
    expect((await w.api('/api/incidents/', { json: { title: 'gone with the process' } })).status).toBe(201);
    w.child.kill('SIGKILL');
    await until('the throw-away directory is removed', () => !existsSync(dir), 20_000);
  });

  it('refuses a DATA_DIR made by an earlier Warroom (PGlite) with one line, leaving it as it was', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-embedded-'));
    try {
      // PGlite kept its cluster at the top of DATA_DIR.
      writeFileSync(join(dir, 'PG_VERSION'), '17\n');
      mkdirSync(join(dir, 'base'));
      const child = spawn(process.execPath, [BIN, 'serve'], {
        env: { ...process.env, PORT: '0', DATA_DIR: dir, DATABASE_URL: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(1);
      expect(stderr).toMatch(/^warroom: .* holds a database from an earlier Warroom \(PGlite\)/);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(existsSync(join(dir, 'postgres'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Node's recursive mkdir spins for ever there, deaf to SIGTERM (src/make-directory.ts): the child is killed if it
  // has not ended when the test gives up, so a regression fails the test rather than hanging the run.
  it.runIf(existsSync('/proc/self'))('refuses a DATA_DIR under /proc with one line and exit 1', async () => {
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, PORT: '0', DATA_DIR: '/proc/warroom-no-such/data', DATABASE_URL: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(killer);
    expect(signal).toBeNull();
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^warroom: cannot open the embedded database in \/proc\/warroom-no-such\/data \(DATA_DIR\): ENOENT/,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  it.runIf(root)(
    '(only as root, where PostgreSQL needs another account) names the fix when the account PostgreSQL runs as cannot reach DATA_DIR',
    async () => {
      // A directory only root may enter, as /root is.
      const closed = await mkdtemp(join(tmpdir(), 'warroom-closed-'));
      try {
        execFileSync('chmod', ['700', closed]);
        const child = spawn(process.execPath, [BIN, 'serve'], {
          env: { ...process.env, PORT: '0', DATA_DIR: join(closed, 'data'), DATABASE_URL: '' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        const [code] = (await once(child, 'exit')) as [number | null];
        expect(code).toBe(1);
        expect(stderr).toMatch(/^warroom: the embedded PostgreSQL runs as "\w+" when Warroom runs as root/);
      } finally {
        await rm(closed, { recursive: true, force: true });
      }
    },
  );
});
