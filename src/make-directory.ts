// `mkdir -p` that fails instead of spinning. Node's `mkdirSync(dir, { recursive: true })` (and the async one) loops
// for ever, at 100% CPU and deaf to signals, when a parent exists but mkdir answers ENOENT for its child: a path
// under /proc or /sys, a stale mount. It reads ENOENT as "the parent is missing", "makes" the parent (EEXIST) and
// tries the child again (the same loop as oven-sh/bun#40600; found with DATA_DIR=/proc/nope, 2026-12-03).
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates directory `dir` and whichever of its parents are missing, each once, with `mode` (before the umask). An
 * existing directory is left as it is. Throws the system's error for the level that could not be made (ENOENT under
 * /proc, EACCES, ENOTDIR under a file), or EEXIST when `dir` exists and is not a directory, as mkdir -p does.
 */
export function makeDirectory(dir: string, mode = 0o777): void {
  const missing: string[] = [];
  // The path as given, not path.resolve'd: `link/../data` is where the kernel (and every later user of the path) finds
  // it, beside the link's target; resolve() would drop `link/..` from the text and make a stray `./data`.
  for (let at = dir; ; at = dirname(at)) {
    const found = statSync(at, { throwIfNoEntry: false });
    if (found) {
      if (missing.length === 0 && !found.isDirectory()) {
        throw Object.assign(new Error(`EEXIST: file already exists and is not a directory, mkdir '${dir}'`), {
          code: 'EEXIST',
          path: dir,
        });
      }
      break;
    }
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level, { mode });
    } catch (err) {
      // Made by someone else meanwhile (two starters at once): as good as made here.
      const made = (err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(level).isDirectory();
      if (!made) throw err;
    }
  }
}
