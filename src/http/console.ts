// The web console (console/, built by `npm run build` into dist/console/): index.html for each client route, and the
// hashed assets. Read from disk per request (a few small files), so a rebuild is served without a restart.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context, Hono } from 'hono';
import { PACKAGE_ROOT } from '../package-root.js';
import type { AppEnv } from './env.js';

/** Where the build puts the console (console/vite.config.ts). */
export const CONSOLE_DIR = join(PACKAGE_ROOT, 'dist', 'console');

/**
 * The console's client routes (console/src/app.tsx); everything else stays the API's. Each with a trailing slash too
 * (routing is strict): a typed or pasted `/integrations/` is the page, not a JSON 404. `/incidents` is the list.
 */
const CLIENT_ROUTES = [
  '/',
  '/incidents',
  '/incidents/',
  '/incidents/:incident_id',
  '/incidents/:incident_id/',
  '/integrations',
  '/integrations/',
] as const;

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
};

// A host name, IPv4 or bracketed IPv6 with a port: anything else is left out of the policy rather than echoed.
const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * Only our own files may run or load; the room socket is the page's own host (CSP's 'self' covers ws: only in
 * newer browsers, so it is named).
 */
function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host && SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const NOT_BUILT =
  'The Warroom console has not been built, so there is nothing to show here.\n\n' +
  'Build it with `npm run build` (`npm ci` does it too), then reload. The API is up: see /docs and /health.\n';

/**
 * First path segments the server itself answers (the API, tRPC, rooms, probes, docs, assets, webhooks): an unknown
 * path under one of them keeps its JSON 404, whoever asks.
 */
const SERVER_PREFIXES = new Set([
  'api',
  'trpc',
  'ws',
  'metrics',
  'health',
  'readyz',
  'livez',
  'docs',
  'openapi.json',
  'assets',
  'v2',
]);

/**
 * Whether an unmatched request is a person's browser at a mistyped address: a GET (or HEAD) that accepts HTML, for
 * a path outside the server's own. They get the console (status 404), which says "Page not found" with a way back,
 * rather than a JSON error; API clients, which do not ask for HTML, keep the JSON one.
 */
export function wantsConsolePage(c: Context<AppEnv>): boolean {
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return false;
  if (!(c.req.header('accept') ?? '').includes('text/html')) return false;
  const first = c.req.path.split('/')[1] ?? '';
  return !SERVER_PREFIXES.has(first);
}

/**
 * Mounts the console's pages and assets. `dir` is for tests; the default is dist/console/. Returns the page's
 * handler, for the app's notFound to answer a browser's unknown address with (status 404).
 */
export function mountConsole(
  app: Hono<AppEnv>,
  dir: string = CONSOLE_DIR,
): (c: Context<AppEnv>, status: 200 | 404) => Promise<Response> {
  const page = async (c: Context<AppEnv>, status: 200 | 404 = 200) => {
    let html: string;
    try {
      html = await readFile(join(dir, 'index.html'), 'utf8');
    } catch {
      // An unknown address stays a 404 (with the same advice); a page's own address is a service not there yet.
      return c.body(NOT_BUILT, status === 404 ? 404 : 503, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
      });
    }
    return c.body(html, status, {
      'content-type': 'text/html; charset=utf-8',
      // Always asks again: the page names this build's hashed assets.
      'cache-control': 'no-cache',
      'content-security-policy': contentSecurityPolicy(c.req.header('host')),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
  };
  for (const route of CLIENT_ROUTES) app.get(route, (c) => page(c));

  app.get('/assets/:file', async (c) => {
    const file = c.req.param('file');
    const type = TYPES[file.slice(file.lastIndexOf('.') + 1)];
    // One path segment of plain characters: no way out of the directory.
    if (!type || !/^[A-Za-z0-9_.-]+$/.test(file) || file.startsWith('.')) return c.notFound();
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, 'assets', file));
    } catch {
      return c.notFound();
    }
    return c.body(new Uint8Array(bytes), 200, {
      'content-type': type,
      // The name carries a hash of the content: it never changes under the same name.
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    });
  });
  return page;
}
