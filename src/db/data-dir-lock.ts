// One process at a time runs the embedded PostgreSQL of a DATA_DIR (two would fight over its cluster); others reach
// that server through its socket (connect.ts). The lock is a file holding the owner's pid; one left by a process that
// died is taken over.
import { randomBytes } from 'node:crypto';
import { linkSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config.js';

const LOCK_FILE = 'warroom.lock';

/**
 * Which run of a process `pid` is, where the system says (Linux: the boot's id and the process's start time in clock
 * ticks since boot, /proc/<pid>/stat field 22, proc(5)); undefined elsewhere or when there is no such process. A pid
 * alone is reused: after a reboot or a kill -9, a lock naming pid 1, or any other process's pid, blocked every start
 * with "in use by a running warroom" (operations review, 2026-12-02).
 */
export function processIdentity(pid: number): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const started = fields[19];
    return started ? `${boot}:${started}` : undefined;
  } catch {
    return undefined;
  }
}

/** The lock file's text: the owner's pid, then (where known) its identity. */
const lockText = (): string => {
  const identity = processIdentity(process.pid);
  return identity ? `${process.pid}\n${identity}\n` : String(process.pid);
};

/** The owner a lock file names: its pid, and the identity it recorded (none in locks of earlier releases). */
function lockOwner(text: string): { pid: number; identity: string | undefined } {
  const [pid = '', identity] = text.split('\n');
  return { pid: Number(pid), identity: identity || undefined };
}

/** Whether some process has this pid (EPERM: it exists but belongs to someone else). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err instanceof Error && 'code' in err && err.code === 'EPERM';
  }
}

function alive(pid: number, identity: string | undefined): boolean {
  if (!running(pid)) return false;
  // The pid runs; it is the lock's owner only if it is the same run of it (where that can be told).
  if (identity === undefined) return !notNode(pid);
  const now = processIdentity(pid);
  return now === undefined || now === identity;
}

/**
 * For a lock of an earlier release (a pid alone): whether the process with that pid is certainly not a Node.js
 * process, so not a warroom (Linux: its /proc/<pid>/cmdline). Unknown is "not certain".
 */
function notNode(pid: number): boolean {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return argv0 !== '' && !/node/i.test(argv0.split('/').pop() ?? '');
  } catch {
    return false;
  }
}

/** Another live process holds the lock: it runs this DATA_DIR's embedded server. */
export class DataDirInUseError extends ConfigError {
  constructor(
    readonly dir: string,
    readonly owner: number,
  ) {
    super(
      `DATA_DIR ${dir} is in use by process ${owner} (a running warroom): another server needs its own DATA_DIR, ` +
        'or DATABASE_URL',
    );
  }
}

/**
 * Creates the lock file at `path` with `text` already in it, or throws EEXIST. Written to a file of its own first and
 * linked into place (link(2) fails if the name exists, like O_EXCL): created with O_EXCL and then written, the lock
 * was empty for a moment, and another starter that read it then took it as stale and replaced it (review,
 * 2026-12-02). Two starters that both find a stale lock can still both replace it; the embedded PostgreSQL's own
 * postmaster.pid then stops the second server.
 */
function placeLock(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temporary, text, { flag: 'wx' });
  try {
    linkSync(temporary, path);
  } catch (err) {
    // A file system without hard links (some network and FAT mounts): create it in place, as before.
    if (err instanceof Error && 'code' in err && err.code === 'EEXIST') throw err;
    writeFileSync(path, text, { flag: 'wx' });
  } finally {
    rmSync(temporary, { force: true });
  }
}

/**
 * Removes the temporary files of placeLock that their process left behind (killed between writing and removing one):
 * those of processes no longer running. One of a running process is its own to remove.
 */
function removeLeftovers(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^warroom\.lock\.(\d+)\.[0-9a-f]+$/.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || running(pid)) continue;
    try {
      rmSync(join(dir, name), { force: true });
    } catch {
      // Best effort: a name we cannot remove (a directory, another user's file) must not fail a start that holds the
      // lock already (review, 2026-12-02).
    }
  }
}

/** Takes the lock on `dir` for this process; returns the function that releases it. Throws DataDirInUseError if held. */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      placeLock(path, lockText());
      removeLeftovers(dir);
      return () => {
        try {
          if (lockOwner(readFileSync(path, 'utf8')).pid === process.pid) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && err.code === 'EEXIST')) throw err;
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (readErr) {
        // Released (or taken over as stale) between our link and this read: try again.
        if (readErr instanceof Error && 'code' in readErr && readErr.code === 'ENOENT') continue;
        throw readErr;
      }
      const owner = lockOwner(text);
      if (
        Number.isInteger(owner.pid) &&
        owner.pid > 0 &&
        owner.pid !== process.pid &&
        alive(owner.pid, owner.identity)
      ) {
        throw new DataDirInUseError(dir, owner.pid);
      }
      // Left by a process that is gone: take it over.
      rmSync(path, { force: true });
    }
  }
  throw new ConfigError(`cannot lock DATA_DIR ${dir}`);
}
