// A private, throw-away PostgreSQL cluster for the fault test: initdb into a temp dir, a free port, its own socket
// dir, started and stopped with pg_ctl. The test stops and starts it under load, so it must never be the machine's
// shared server (other suites and benchmarks run on 127.0.0.1:5432).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** Where Debian's PostgreSQL 15 keeps initdb, pg_ctl and postgres; WARROOM_PG_BIN points elsewhere. */
export const PG_BIN = process.env.WARROOM_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Why the cluster cannot be made here, or undefined when it can. */
export function clusterUnavailableReason(): string | undefined {
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, tool))) return `${join(PG_BIN, tool)} not found (install PostgreSQL 15)`;
  }
  return undefined;
}

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:PORT/warroom */
  url: string;
  /**
   * The same database through the cluster's Unix socket: a stopped PostgreSQL removes the socket file, so a
   * connection fails with ENOENT rather than TCP's ECONNREFUSED (a walkthrough found that answered 500).
   */
  socketUrl: string;
  port: number;
  dir: string;
  /** `pg_ctl stop -m fast`: backends end with FATAL 57P01 (admin shutdown), as `pg_ctlcluster … stop` does. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** The server's own log, for the report when something fails. */
  log(): Promise<string>;
  /** Stops the server (immediately) if it runs and deletes the directory; never throws. */
  destroy(): Promise<void>;
}

/** A port nothing listens on now: bind port 0, read what the kernel chose, close. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port from listen(0)'))));
    });
  });
}

/**
 * PostgreSQL refuses to run as root, and CI runs as root: there the tools run as the `postgres` OS user (runuser),
 * on a directory chowned to it. As any other user they run as that user.
 */
const asRoot = process.getuid?.() === 0;

async function pgTool(tool: string, args: string[], timeoutMs = 60_000): Promise<void> {
  const bin = join(PG_BIN, tool);
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  try {
    await run(cmd, argv, { timeout: timeoutMs });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message?: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${e.message ?? ''}\n${e.stdout ?? ''}${e.stderr ?? ''}`, {
      cause: err,
    });
  }
}

export async function createCluster(): Promise<PgCluster> {
  // As root the postgres user must reach the directory, so it goes under /tmp rather than a $TMPDIR that may sit in
  // a home directory postgres cannot enter.
  const dir = await mkdtemp(join(asRoot ? '/tmp' : tmpdir(), 'warroom-faults-'));
  if (asRoot) await run('chown', ['-R', 'postgres', dir]);
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const port = await freePort();
  // fsync on: the test is about what survives, so the database must make its usual durability promise.
  // listen_addresses is pinned so the private cluster never answers on a public interface.
  const opts = `-p ${port} -k ${dir} -c fsync=on -c listen_addresses=127.0.0.1`;
  let running = false;
  const cluster: PgCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/warroom`,
    socketUrl: `postgres://postgres@/warroom?host=${encodeURIComponent(dir)}&port=${port}`,
    port,
    dir,
    async start() {
      await pgTool('pg_ctl', ['-D', data, '-o', opts, '-l', logFile, '-w', '-t', '60', 'start']);
      running = true;
    },
    async stop() {
      await pgTool('pg_ctl', ['-D', data, '-w', '-t', '60', 'stop', '-m', 'fast']);
      running = false;
    },
    async log() {
      return readFile(logFile, 'utf8').catch(() => '');
    },
    async destroy() {
      if (running) await pgTool('pg_ctl', ['-D', data, '-w', 'stop', '-m', 'immediate']).catch(() => undefined);
      running = false;
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
  try {
    // --no-sync only skips flushing initdb's own files; the running server keeps fsync=on.
    await pgTool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    await cluster.start();
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    try {
      await admin.query('CREATE DATABASE warroom');
    } finally {
      await admin.end();
    }
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}
