// Runs `warroom serve` as a real child process for the fault test and keeps every line it writes, because what the
// test must report on a failure (an unhandled 'error' event, a 500's logged cause) is in those lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export const BIN = new URL('../../bin/warroom.js', import.meta.url).pathname;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface ServerProcess {
  /** Which start this is (1, 2, …), for the report. */
  label: string;
  url: string;
  child: ChildProcess;
  /** stdout (JSON log lines) and stderr (crash traces), interleaved as they arrived, each prefixed by its stream. */
  lines: string[];
  /** Set once the process has exited. */
  exited: ExitInfo | undefined;
  exit: Promise<ExitInfo>;
  /** SIGTERM, then SIGKILL after graceMs; resolves once it has exited. */
  stop(graceMs?: number): Promise<ExitInfo>;
}

function listeningUrl(line: string): string | undefined {
  try {
    const rec = JSON.parse(line) as { msg?: unknown; url?: unknown };
    return rec.msg === 'warroom listening' && typeof rec.url === 'string' ? rec.url : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the server on DATABASE_URL (PORT=0) and resolves once it logs its URL; rejects if it exits first. */
export function spawnServer(label: string, databaseUrl: string, startTimeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    // LOG_LEVEL info: the URL comes from the 'warroom listening' line, and errors behind 500s are logged at error.
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let resolveExit: (info: ExitInfo) => void = () => undefined;
  const exit = new Promise<ExitInfo>((resolve) => (resolveExit = resolve));
  const proc: ServerProcess = {
    label,
    url: '',
    child,
    lines,
    exited: undefined,
    exit,
    async stop(graceMs = 15_000) {
      if (proc.exited) return proc.exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const info = await exit;
      clearTimeout(timer);
      return info;
    },
  };
  child.once('exit', (code, signal) => {
    proc.exited = { code, signal, at: Date.now() };
    resolveExit(proc.exited);
  });

  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server ${label} did not listen within ${startTimeoutMs} ms:\n${lines.join('\n')}`));
    }, startTimeoutMs);
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines.push(`out: ${line}`);
        const url = proc.url ? undefined : listeningUrl(line);
        if (url) {
          proc.url = url;
          clearTimeout(timer);
          resolve(proc);
        }
      });
    }
    if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => lines.push(`err: ${line}`));
    void exit.then((info) => {
      if (proc.url) return;
      clearTimeout(timer);
      reject(new Error(`server ${label} exited (${info.code ?? info.signal}) before listening:\n${lines.join('\n')}`));
    });
  });
}
