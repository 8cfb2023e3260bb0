// The Python peer (bench/python-peer/app.py: FastAPI + asyncpg, one uvicorn worker), installed with pip into a
// throw-away virtual environment and started as its own process, so the suite measures Warroom against a mainstream
// stack in the same run. Skipped, saying why, when Python or its packages are not available.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PEER_DIR = new URL('../python-peer/', import.meta.url).pathname;

export interface PythonPeer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * asyncpg reads a Unix-socket server from `?host=/dir`, not from a percent-encoded host as `pg` does (the embedded
 * database's URL, src/db/embedded-postgres.ts), so such a URL is rewritten; a TCP URL passes unchanged.
 */
export function asyncpgUrl(url: string): string {
  const u = new URL(url);
  const host = decodeURIComponent(u.hostname);
  if (!host.startsWith('/')) return url;
  const user = u.username || 'postgres';
  return `postgresql://${user}@${u.pathname}?host=${encodeURIComponent(host)}&port=${u.port || '5432'}`;
}

/**
 * Installs and starts the peer on `databaseUrl` (a database with Warroom's schema). Resolves with the peer, or with
 * the reason it cannot run here. `logFile` receives its output.
 */
export async function startPythonPeer(databaseUrl: string, logFile: string): Promise<PythonPeer | { skipped: string }> {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
  } catch {
    return { skipped: 'python3 is not installed' };
  }
  const venv = mkdtempSync(join(tmpdir(), 'warroom-python-peer-'));
  try {
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'ignore' });
    execFileSync(join(venv, 'bin', 'pip'), ['install', '-q', '-r', join(PEER_DIR, 'requirements.txt')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 300_000,
    });
  } catch (err) {
    rmSync(venv, { recursive: true, force: true });
    const stderr = err instanceof Error && 'stderr' in err ? String(err.stderr).trim().split('\n').at(-1) : '';
    return { skipped: `pip could not install its packages (${stderr || String(err)})` };
  }
  const port = await freePort();
  const fd = openSync(logFile, 'w');
  const child = spawn(
    join(venv, 'bin', 'python'),
    ['-m', 'uvicorn', 'app:app', '--app-dir', PEER_DIR, '--host', '127.0.0.1', '--port', String(port)]
      // One worker, uvloop and httptools: uvicorn's usual production settings for one process; no access log.
      .concat([
        '--workers',
        '1',
        '--loop',
        'uvloop',
        '--http',
        'httptools',
        '--no-access-log',
        '--log-level',
        'warning',
      ]),
    { env: { ...process.env, DATABASE_URL: asyncpgUrl(databaseUrl) }, stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(venv, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`${url}/health`).catch(() => undefined);
    if (res?.status === 200) return { url, child, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      return { skipped: `the peer did not start (log: ${logFile})` };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
