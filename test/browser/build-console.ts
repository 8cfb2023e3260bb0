// Vitest globalSetup: the browser tests must test the console as it is in console/ now, so dist/console/ is rebuilt
// when it is missing or older than any source file (after `npm ci` it is fresh and this costs a directory walk).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILT = join(ROOT, 'dist', 'console', 'index.html');

/** The newest modification time of the files under `path`. */
function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function builtAt(): number {
  try {
    return statSync(BUILT).mtimeMs;
  } catch {
    return 0;
  }
}

/** Rebuilds the console if it is stale. */
export default function setup(): void {
  const sources = Math.max(
    newest(join(ROOT, 'console')),
    newest(join(ROOT, 'schema')),
    newest(join(ROOT, 'src', 'routers')),
  );
  if (builtAt() >= sources) return;
  process.stderr.write(
    'test/browser: dist/console is missing or older than console/; building it (npm run build:console)\n',
  );
  // NODE_ENV is 'test' under vitest, which would bundle React's development build.
  execFileSync('npm', ['run', '-s', 'build:console'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}
