#!/usr/bin/env node
// The `warroom` command. It runs the bundle that `npm ci` built into dist/ (the `prepare` script, build.mjs): no
// TypeScript loader in the server or its analysis thread. Without dist/, or with WARROOM_FROM_SOURCE=1 (the test
// suite sets it, so tests always run the code as it is now), it runs the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/main.js', import.meta.url);
if (process.env.WARROOM_FROM_SOURCE !== '1' && existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
