// A signal while start-up is still running: start-up that ends is followed by a clean shutdown (the last test),
// but start-up that hangs must not hold the process for ever (a walkthrough's SIGTERM was ignored by a start-up that
// never ended). Here start-up waits on the migration lock another session holds, as behind a stuck deploy.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATION_TURN_LOCK } from '../../src/db/migrator.js';
import { POSTGRES_URL, createScratchDatabase } from '../integration/harness.js';
import { BIN } from './process.js';

// MIGRATION_TURN_LOCK, held here, is what a starting instance waits for, with no timeout, while another one migrates.

let scratch: { url: string; drop(): Promise<void> };
let holder: pg.Client;
beforeAll(async () => {
  if (!POSTGRES_URL) throw new Error('no PostgreSQL server to test against');
  scratch = await createScratchDatabase(POSTGRES_URL);
  holder = new pg.Client({ connectionString: scratch.url });
  await holder.connect();
  await holder.query(`select pg_advisory_lock(${MIGRATION_TURN_LOCK})`);
});
afterAll(async () => {
  await holder.end().catch(() => undefined);
  await scratch.drop();
});

let started = 0;

/** `warroom serve` on the locked database; resolves once it has connected and waits on the lock. */
async function startStuck(env: Record<string, string> = {}): Promise<{
  exit: Promise<{ code: number | null; ms: number; stderr: string }>;
  signal(s: NodeJS.Signals): void;
}> {
  // Its own application_name, to tell its wait from that of an earlier test's process whose backend is still queued.
  const url = new URL(scratch.url);
  url.searchParams.set('application_name', `warroom-stuck-${++started}`);
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_URL: url.toString(), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let signalledAt = 0;
  const exit = (once(child, 'exit') as Promise<[number | null]>).then(([code]) => ({
    code,
    ms: Date.now() - signalledAt,
    stderr,
  }));
  // Waiting on the lock shows in pg_locks as an ungranted advisory lock of its session.
  const probe = new pg.Client({ connectionString: scratch.url });
  await probe.connect();
  try {
    for (const end = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 50))) {
      const { rows } = await probe.query<{ n: string }>(
        "select count(*) as n from pg_locks l join pg_stat_activity a on a.pid = l.pid where l.locktype = 'advisory' and not l.granted and a.application_name = $1",
        [url.searchParams.get('application_name')],
      );
      if (Number(rows[0]?.n) > 0) break;
      if (Date.now() > end || child.exitCode !== null) throw new Error(`start-up never waited on the lock: ${stderr}`);
    }
  } finally {
    await probe.end();
  }
  return {
    exit,
    signal(s) {
      signalledAt ||= Date.now();
      child.kill(s);
    },
  };
}

describe('signals during a start-up that does not end', () => {
  it('SIGTERM: gives start-up 10 s, then exits 1 saying why', async () => {
    const w = await startStuck();
    w.signal('SIGTERM');
    const { code, ms, stderr } = await w.exit;
    expect(code).toBe(1);
    expect(stderr).toContain(
      'warroom: start-up did not finish within 10 s of SIGTERM; exiting without finishing start-up',
    );
    expect(ms).toBeGreaterThanOrEqual(9_500);
    expect(ms).toBeLessThan(20_000);
  }, 40_000);

  it('a second signal ends it at once', async () => {
    const w = await startStuck();
    w.signal('SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    w.signal('SIGINT');
    const { code, ms, stderr } = await w.exit;
    expect(code).toBe(1);
    expect(stderr).toContain('warroom: a second SIGINT during start-up; exiting without finishing start-up');
    expect(ms).toBeLessThan(5_000);
  }, 40_000);

  // Last: it releases the lock the others wait on.
  it('start-up that ends within the grace is followed by a clean shutdown, however long its drain takes', async () => {
    // A review found the grace timer still running after start-up ended: it cut a drain that went past 10 s from
    // the signal with exit 1 and a false "did not finish".
    const w = await startStuck({ SHUTDOWN_DRAIN_MS: '5000' });
    w.signal('SIGTERM');
    await new Promise((r) => setTimeout(r, 7_000));
    await holder.query(`select pg_advisory_unlock(${MIGRATION_TURN_LOCK})`);
    const { code, ms, stderr } = await w.exit;
    expect(stderr).not.toContain('did not finish');
    expect(code).toBe(0);
    // Start-up after the lock (seconds), then the 5 s drain: past the 10 s grace.
    expect(ms).toBeGreaterThan(11_000);
  }, 60_000);
});
