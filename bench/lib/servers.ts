// The benchmark's own process and database helpers: servers run as child processes logging to files (a pipe would
// make the load generator read every log line on the same cores), each on a throw-away PostgreSQL database.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const BIN = new URL('../../bin/warroom.js', import.meta.url).pathname;

export interface BenchProcess {
  url: string;
  child: ChildProcess;
  /** fetch against the process: `api('/api/incidents/')`; `json` sends a JSON body (POST unless a method is given). */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Creates an empty database on the server at `adminUrl`; returns its URL and a function that drops it. */
export async function scratchDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `warroom_bench_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(statement).finally(() => client.end());
  };
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

/**
 * Starts `node ...args` with its stdout in `logFile` (a fresh temp file by default) and waits for the JSON log line
 * `{"msg": readyMsg, "url": ...}`.
 */
export async function spawnServer(
  args: string[],
  env: Record<string, string>,
  readyMsg: string,
  logFile = join(mkdtempSync(join(tmpdir(), 'warroom-bench-')), 'server.log'),
): Promise<BenchProcess> {
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', fd, 'inherit'],
  });
  closeSync(fd);
  const exited = once(child, 'exit') as Promise<[number | null]>;
  let url = '';
  for (let i = 0; i < 600 && !url && child.exitCode === null; i++) {
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      try {
        const rec = JSON.parse(line) as { msg?: string; url?: string };
        if (rec.msg === readyMsg && rec.url) url = rec.url;
      } catch {
        // a partial line, or not JSON
      }
    }
    if (!url) await new Promise((r) => setTimeout(r, 50));
  }
  if (!url) throw new Error(`${args.join(' ')} exited before listening (log: ${logFile})`);
  return {
    url,
    child,
    api(path, { json, ...init } = {}) {
      if (json === undefined) return fetch(`${url}${path}`, init);
      const headers = { 'content-type': 'application/json', ...init.headers };
      return fetch(`${url}${path}`, { ...init, method: init.method ?? 'POST', headers, body: JSON.stringify(json) });
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return (await exited)[0];
    },
  };
}

let built = false;

/**
 * `warroom serve` as a child process, running what `npm start` runs: dist/, compiled once per bench process from the
 * sources as they are now (so a stale dist/ is never what gets measured).
 */
/** Builds dist/ once per bench run (what `npm ci` does), so the bench runs what `npm start` runs. */
export function buildOnce(): void {
  if (built) return;
  const root = new URL('../../', import.meta.url).pathname;
  execFileSync(process.execPath, ['build.mjs'], { cwd: root, stdio: 'inherit' });
  built = true;
}

export function spawnWarroom(env: Record<string, string>, logFile?: string): Promise<BenchProcess> {
  buildOnce();
  return spawnServer([BIN, 'serve'], { ...env, WARROOM_FROM_SOURCE: '0' }, 'warroom listening', logFile);
}
