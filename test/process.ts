// Runs `warroom serve` as a real child process and finds its URL from the startup log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export const BIN = new URL('../bin/warroom.js', import.meta.url).pathname;

export interface WarroomProcess {
  url: string;
  child: ChildProcess;
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** LOG_LEVEL stays at info or below: the URL is read from the 'warroom listening' line. */
export async function spawnWarroom(env: Record<string, string>): Promise<WarroomProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit') as Promise<[number | null]>;
  let url = '';
  for await (const line of createInterface({ input: child.stdout })) {
    const rec = JSON.parse(line) as { msg?: string; url?: string };
    if (rec.msg === 'warroom listening' && rec.url) {
      url = rec.url;
      break;
    }
  }
  if (!url) throw new Error('warroom exited before listening');
  child.stdout.resume();
  return {
    url,
    child,
    api(path, init = {}) {
      const { json, ...rest } = init;
      if (json === undefined) return fetch(`${url}${path}`, rest);
      return fetch(`${url}${path}`, {
        ...rest,
        method: rest.method ?? 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(json),
      });
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
  };
}
