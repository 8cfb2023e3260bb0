// Start-up time and memory of a Warroom process and, on the embedded database, of the PostgreSQL it runs: what a
// newcomer's `npm start` costs (issue 18's targets: first start < 5 s, warm start < 1.5 s, idle < 250 MiB embedded,
// < 120 MiB on PostgreSQL).
import { readdir, readFile } from 'node:fs/promises';
import { buildOnce, spawnWarroom, type BenchProcess } from './servers.js';

/** Kernel-reported memory of one process (MiB): RSS, and PSS (shared pages divided among the processes sharing them). */
async function memoryOf(pid: number): Promise<{ rss: number; pss: number }> {
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
  return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024 };
}

/** Every descendant of `pid` (children, their children, ...), from /proc. */
async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid) follows the command name, which is in parentheses and may hold spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isFinite(ppid)) continue;
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const next = parents.get(queue.shift() ?? -1) ?? [];
    out.push(...next);
    queue.push(...next);
  }
  return out;
}

export interface Footprint {
  /** The Warroom process alone (MiB). */
  serverRss: number;
  /** Its child processes (the embedded PostgreSQL, the analysis worker is a thread and counted above): summed PSS. */
  childrenPss: number;
  /** Server PSS + children PSS: what the whole thing costs the machine (MiB). */
  totalPss: number;
}

/** Memory of a running Warroom and everything it started. */
export async function footprint(pid: number): Promise<Footprint> {
  const own = await memoryOf(pid);
  let childrenPss = 0;
  for (const child of await descendants(pid)) childrenPss += (await memoryOf(child)).pss || 0;
  return { serverRss: own.rss, childrenPss, totalPss: own.pss + childrenPss };
}

/** Time from spawning `warroom serve` (compiled, as `npm start` runs it) to its first 200 from /health (ms). */
export async function timeToHealthy(env: Record<string, string>): Promise<{ ms: number; w: BenchProcess }> {
  buildOnce();
  const t0 = performance.now();
  const w = await spawnWarroom(env);
  for (;;) {
    const res = await fetch(`${w.url}/health`).catch(() => undefined);
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { ms: performance.now() - t0, w };
}
