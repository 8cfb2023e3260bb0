// Where the package is, whether this code runs from the TypeScript sources (src/) or bundled (dist/main.js): the files
// that sit at the package root (openapi.json, node_modules) are found from here.
import { fileURLToPath } from 'node:url';

/** True when running the bundle built into dist/ (what `npm start` runs after `npm ci`; build.mjs). */
export const COMPILED = /\/dist\/[^/]+\.js$/.test(import.meta.url);

/** The package root, with a trailing slash: one level up from src/package-root.ts and from dist/main.js alike. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));
