// HTTP load with autocannon (keep-alive connections), repeated and summarised by the median run.
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST' | 'PATCH';
  body?: string;
  connections: number;
  seconds: number;
  /** Produces a fresh request body per request (e.g. a new incident each time). */
  requests?: autocannon.Request[];
  /** Extra request headers (e.g. `Prefer: return=minimal`). */
  headers?: Record<string, string>;
}

export interface LoadRun {
  rps: number;
  p50: number;
  p99: number;
  /** Slowest request (ms): what a stall of the event loop shows up in first. */
  max: number;
  non2xx: number;
  errors: number;
  requests: number;
}

export async function loadOnce(spec: LoadSpec): Promise<LoadRun> {
  const result = await autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    connections: spec.connections,
    duration: spec.seconds,
    headers: { ...(spec.body ? { 'content-type': 'application/json' } : {}), ...spec.headers },
    ...(spec.body ? { body: spec.body } : {}),
    ...(spec.requests ? { requests: spec.requests } : {}),
  });
  const ok = result['2xx'];
  return {
    rps: ok / spec.seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    requests: result.requests.total,
  };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

export interface LoadSummary extends LoadRun {
  runs: LoadRun[];
}

/** Runs the load `runs` times; figures are the medians, failures are summed (any failure is a failed target). */
export async function loadMedian(spec: LoadSpec, runs: number): Promise<LoadSummary> {
  const all: LoadRun[] = [];
  for (let i = 0; i < runs; i++) all.push(await loadOnce(spec));
  return summarize(all);
}

/** Medians of the runs' figures, failures summed. */
export function summarize(all: LoadRun[]): LoadSummary {
  return {
    rps: median(all.map((r) => r.rps)),
    p50: median(all.map((r) => r.p50)),
    p99: median(all.map((r) => r.p99)),
    max: median(all.map((r) => r.max)),
    non2xx: all.reduce((n, r) => n + r.non2xx, 0),
    errors: all.reduce((n, r) => n + r.errors, 0),
    requests: all.reduce((n, r) => n + r.requests, 0),
    runs: all,
  };
}

/** Resident set size of a process, in MiB (Linux). */
export async function rssMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : NaN;
}
