// Where the package is, whether this code runs from the TypeScript sources (src/) or compiled (dist/src/): the files
// that sit at the package root (openapi.json, node_modules) are found from here.
import { fileURLToPath } from 'node:url';

/** True when running the JavaScript compiled into dist/ (what `npm start` runs after `npm ci`). */
export const COMPILED = import.meta.url.includes('/dist/src/');

/** The package root, with a trailing slash. */
export const PACKAGE_ROOT = fileURLToPath(new URL(COMPILED ? '../../' : '../', import.meta.url));
