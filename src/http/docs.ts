// GET /docs: Swagger UI served from the installed swagger-ui-dist package; no CDN, so it works offline.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';
import type { AppEnv } from './env.js';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Warroom API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css" />
  <link rel="icon" href="/docs/favicon-32x32.png" />
</head>
<body>
  <div id="ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

// A separate file rather than an inline script, so a strict Content-Security-Policy can forbid inline scripts.
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });`;

/**
 * On every /docs answer: no other site may frame the page (clickjacking), and no browser may read an asset as another
 * type than it is served as (security review, 2026-12-02). No script policy: Swagger UI's bundle sets inline styles.
 */
const DOCS_HEADERS = {
  'content-security-policy': "frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
};

export function mountDocs(app: Hono<AppEnv>): void {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Uint8Array>();
  app.get('/docs', (c) => c.html(PAGE, 200, DOCS_HEADERS));
  app.get('/docs/', (c) => c.html(PAGE, 200, DOCS_HEADERS));
  // One parametric route (init.js included): a static sibling of a parameter would rule out Hono's RegExpRouter.
  app.get('/docs/:asset', async (c) => {
    const name = c.req.param('asset');
    if (name === 'init.js') {
      return c.body(INIT, 200, { ...DOCS_HEADERS, 'content-type': 'text/javascript; charset=utf-8' });
    }
    const type = ASSETS[name];
    if (!type) return c.notFound();
    let bytes = cache.get(name);
    if (!bytes) {
      bytes = new Uint8Array(await readFile(join(dir, name)));
      cache.set(name, bytes);
    }
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      ...DOCS_HEADERS,
      'content-type': type,
      'cache-control': 'public, max-age=86400',
    });
  });
}
