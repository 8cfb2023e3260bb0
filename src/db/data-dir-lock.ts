// One process at a time runs the embedded PostgreSQL of a DATA_DIR (two would fight over its cluster); others reach
// that server through its socket (connect.ts). The lock is a file holding the owner's pid; one left by a process that
// died is taken over.
import { openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config.js';

const LOCK_FILE = 'warroom.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return err instanceof Error && 'code' in err && err.code === 'EPERM';
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

/** Takes the lock on `dir` for this process; returns the function that releases it. Throws DataDirInUseError if held. */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && err.code === 'EEXIST')) throw err;
      const owner = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new DataDirInUseError(dir, owner);
      }
      // Left by a process that is gone: take it over.
      unlinkSync(path);
    }
  }
  throw new ConfigError(`cannot lock DATA_DIR ${dir}`);
}
