// Runs `warroom serve` (or another server script) as a real child process and finds its URL from its startup log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { apiFor, type Api } from '../integration/http.js';

export const BIN = new URL('../../bin/warroom.js', import.meta.url).pathname;

export interface WarroomProcess {
  url: string;
  child: ChildProcess;
  api: Api;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** LOG_LEVEL stays at info or below: the URL is read from the 'warroom listening' line. */
export function spawnWarroom(env: Record<string, string>): Promise<WarroomProcess> {
  return spawnListening([BIN, 'serve'], { LOG_LEVEL: 'info', ...env }, 'warroom listening');
}

/** A warroom instance (test/e2e/presence-instance.ts) with its presence heartbeat and timeout set in milliseconds. */
export function spawnPresenceInstance(
  env: Record<string, string>,
  presence: { heartbeatMs: number; timeoutMs: number },
): Promise<WarroomProcess> {
  const script = new URL('./presence-instance.ts', import.meta.url).pathname;
  return spawnListening(
    ['--import', 'tsx', script],
    {
      LOG_LEVEL: 'info',
      ...env,
      PRESENCE_HEARTBEAT_MS: String(presence.heartbeatMs),
      PRESENCE_TIMEOUT_MS: String(presence.timeoutMs),
    },
    'warroom listening',
  );
}

function readyUrl(line: string, readyMsg: string): string | undefined {
  try {
    const rec = JSON.parse(line) as { msg?: string; url?: string };
    return rec.msg === readyMsg && rec.url ? rec.url : undefined;
  } catch {
    return undefined;
  }
}

/** Starts `node ...args` and waits for the JSON log line `{"msg": readyMsg, "url": ...}` on its stdout. */
export async function spawnListening(
  args: string[],
  env: Record<string, string>,
  readyMsg: string,
): Promise<WarroomProcess> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit') as Promise<[number | null]>;
  let url = '';
  if (child.stdout) {
    for await (const line of createInterface({ input: child.stdout })) {
      url = readyUrl(line, readyMsg) ?? '';
      if (url) break;
    }
    child.stdout.resume();
  }
  if (!url) throw new Error(`${args.join(' ')} exited before listening`);
  return {
    url,
    child,
    api: apiFor(url),
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
  };
}
