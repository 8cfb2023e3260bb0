// Room benchmark: fan-out latency to 1,000 sockets, chat throughput on one instance and across two.
// Usage: npm run bench:rooms [-- --embedded]   (PostgreSQL from TEST_DATABASE_URL/DATABASE_URL, default local)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { embeddedSocketUrl } from '../src/db/embedded-postgres.js';
import { scratchDatabase, spawnWarroom, type BenchProcess } from './lib/servers.js';

const embedded = process.argv.includes('--embedded');
const PG = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const FANOUT_SOCKETS = 1000;
const FANOUT_MESSAGES = 30;
const CHAT_SENDERS = 200;
const CHAT_PER_SENDER = 10;

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function incident(w: BenchProcess): Promise<string> {
  const res = await w.api('/api/incidents/', { json: { title: 'room benchmark' } });
  return ((await res.json()) as { id: string }).id;
}

function open(w: BenchProcess, id: string, onMessage: (text: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${w.url.replace('http', 'ws')}/ws/incidents/${id}`);
    ws.on('message', (d) => onMessage(String(d)));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function openMany(
  w: BenchProcess,
  id: string,
  n: number,
  onMessage: (text: string) => void,
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  // Connect in waves so the server's accept queue is not the thing measured.
  for (let i = 0; i < n; i += 100) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => open(w, id, onMessage)))));
  }
  return sockets;
}

/** p50/p99 of send → receipt at each of 1,000 sockets in one room (sender and receivers in this process). */
export async function fanout(w: BenchProcess): Promise<{ p50: number; p99: number; samples: number }> {
  const id = await incident(w);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let pending = 0;
  let done: () => void = () => undefined;
  const onMessage = (text: string): void => {
    if (!text.includes('"type":"message"')) return;
    const m = /"message":"(fan-\d+)"/.exec(text);
    const t0 = m?.[1] ? sentAt.get(m[1]) : undefined;
    if (t0 === undefined) return;
    latencies.push(performance.now() - t0);
    if (--pending === 0) done();
  };
  const sockets = await openMany(w, id, FANOUT_SOCKETS, onMessage);
  const sender = sockets[0];
  if (!sender) throw new Error('no sockets');
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < FANOUT_MESSAGES; i++) {
    const tag = `fan-${i}`;
    pending = FANOUT_SOCKETS;
    const arrived = new Promise<void>((r) => (done = r));
    sentAt.set(tag, performance.now());
    sender.send(JSON.stringify({ user: 'bench', message: tag }));
    await arrived;
    // Stay under the per-socket rate limit (20 frames/s).
    await new Promise((r) => setTimeout(r, 60));
  }
  for (const s of sockets) s.terminate();
  latencies.sort((a, b) => a - b);
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), samples: latencies.length };
}

/** Chat messages per second: 200 senders × 10 messages on `from`, counted at an observer on `to`. */
export async function chatThroughput(from: BenchProcess, to: BenchProcess): Promise<number> {
  const id = await incident(from);
  const total = CHAT_SENDERS * CHAT_PER_SENDER;
  let received = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => (done = r));
  await open(to, id, (text) => {
    if (text.includes('"type":"message"') && ++received === total) done();
  });
  const senders = await openMany(from, id, CHAT_SENDERS, () => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  for (const s of senders)
    for (let i = 0; i < CHAT_PER_SENDER; i++) s.send(JSON.stringify({ user: 'bench', message: `c${i}` }));
  await all;
  const seconds = (performance.now() - t0) / 1000;
  for (const s of senders) s.terminate();
  return total / seconds;
}

async function main(): Promise<void> {
  const rows: Array<[string, string]> = [];
  let drop: (() => Promise<void>) | undefined;
  let env: Record<string, string>;
  let dataDir: string | undefined;
  if (embedded) {
    dataDir = await mkdtemp(join(tmpdir(), 'warroom-rooms-'));
    env = { DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'info' };
  } else {
    const scratch = await scratchDatabase(PG);
    drop = scratch.drop;
    env = { DATABASE_URL: scratch.url, LOG_LEVEL: 'info' };
  }
  const a = await spawnWarroom(env);
  try {
    const f = await fanout(a);
    rows.push([`fan-out to ${FANOUT_SOCKETS} sockets, p50 (${f.samples} deliveries)`, `${f.p50.toFixed(1)} ms`]);
    rows.push([`fan-out to ${FANOUT_SOCKETS} sockets, p99`, `${f.p99.toFixed(1)} ms`]);
    rows.push(['chat messages/s, one instance', (await chatThroughput(a, a)).toFixed(0)]);
    // B on A's database: the embedded one is reached through its socket (src/db/embedded-postgres.ts).
    const b = await spawnWarroom(
      embedded ? { ...env, DATABASE_URL: embeddedSocketUrl(env.DATA_DIR ?? '') ?? '' } : env,
    );
    try {
      rows.push(['chat messages/s, sent on A, received on B', (await chatThroughput(a, b)).toFixed(0)]);
    } finally {
      await b.stop();
    }
  } finally {
    await a.stop();
    await drop?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
  console.log(
    `\nrooms benchmark (${embedded ? 'embedded PostgreSQL' : 'PostgreSQL'}, ${(await import('node:os')).cpus().length} cores, Node ${process.version})\n`,
  );
  console.log('| measure | value |\n|---|---|');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
}

// Run as a script (npm run bench:rooms); bench/run.ts imports the measurements.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
