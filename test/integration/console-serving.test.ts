// The console's pages and assets as the server serves them (src/http/console.ts): client routes get index.html with
// a CSP and no-cache, hashed assets a long cache, nothing escapes the directory, the API's routes are not shadowed,
// and an unbuilt console is a plain page saying how to build it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/http/env.js';
import { CONSOLE_DIR, mountConsole } from '../../src/http/console.js';
import { createIncident, startTestApp, type TestServer } from './harness.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestApp();
});
afterAll(() => s.stop());

describe('the console (built by test/browser/build-console.ts before the suite)', () => {
  it('answers index.html with a CSP for each client route', async () => {
    const inc = await createIncident(s);
    for (const path of [
      '/',
      '/incidents',
      '/incidents/',
      `/incidents/${inc.id}`,
      `/incidents/${inc.id}/`,
      '/integrations',
      '/integrations/',
    ]) {
      const res = await s.api(path, { headers: { host: 'localhost:8000' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self' ws://localhost:8000 wss://localhost:8000");
      expect(await res.text()).toContain('<div id="root">');
    }
  });

  it('leaves a host it cannot vouch for out of the policy', async () => {
    const res = await s.api('/', { headers: { host: 'evil.example; script-src *' } });
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self';");
  });

  it('serves the hashed assets with a long cache, and nothing outside them', async () => {
    const [asset] = readdirSync(join(CONSOLE_DIR, 'assets')).filter((f) => f.endsWith('.js'));
    const res = await s.api(`/assets/${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('cache-control')).toContain('immutable');
    for (const path of [
      '/assets/..%2f..%2fpackage.json',
      '/assets/.hidden.js',
      '/assets/missing-abc.js',
      '/assets/x.txt',
    ])
      expect((await s.api(path)).status, path).toBe(404);
  });

  it('shadows none of the API routes', async () => {
    expect((await s.api('/api/incidents/')).headers.get('content-type')).toMatch(/^application\/json/);
    expect((await s.api('/health')).status).toBe(200);
    expect((await s.api('/openapi.json')).headers.get('content-type')).toMatch(/^application\/json/);
    expect((await s.api('/metrics')).headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await (await s.api('/docs')).text()).toContain('swagger-ui-bundle.js');
    const unknown = await s.api('/no/such/page');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it("answers a browser's unknown address with the console (404), and everything else with the JSON 404", async () => {
    const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    for (const path of ['/nope', '/incidents/abc/def', '/integrations/x/y', '/a/b/c/']) {
      const res = await s.api(path, { headers: html });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      expect(await res.text(), path).toContain('<div id="root">');
    }
    // The server's own paths keep their answers, HTML accepted or not.
    for (const path of [
      '/api/nope',
      '/api/incidents/x/y/z',
      '/trpc/nope',
      '/ws/nope',
      '/metrics/x',
      '/health/x',
      '/docs/nope/x',
      '/openapi.json/x',
      '/assets/x/y',
      '/v2/nope',
    ]) {
      const res = await s.api(path, { headers: html });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/^application\/json/);
    }
    // Not a browser navigation: JSON, as before.
    const json = await s.api('/nope', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    const posted = await s.api('/nope', { method: 'POST', headers: html, json: {} });
    expect(posted.status).toBe(404);
    expect(posted.headers.get('content-type')).toMatch(/^application\/json/);
    // A known path with the wrong method stays a 405.
    const wrong = await s.api('/api/incidents/', { method: 'DELETE', headers: html });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('says how to build it when it was not built, rather than failing', async () => {
    const app = new Hono<AppEnv>();
    mountConsole(app, join(CONSOLE_DIR, 'not-there'));
    const res = await app.request('/');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toContain('npm run build');
  });
});
