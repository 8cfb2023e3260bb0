// Addresses that name no page: the server answers a browser with the console (status 404), which says "Page not
// found" with a way back; an incident address whose id is not an id says "No such incident" without asking the
// server (a 5000-character one would not even fit in the query's URL).
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DB_LABEL } from '../integration/harness.js';
import { LONG, SKIP_REASON, launchBrowser, startConsoleServer, type ConsoleServer } from './browser.js';

describe.skipIf(SKIP_REASON !== undefined)(`the console at bad addresses (${DB_LABEL})`, { timeout: 180_000 }, () => {
  let server: ConsoleServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [{ server }, browser] = await Promise.all([startConsoleServer(), launchBrowser()]);
  }, 120_000);
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(LONG);
    return page;
  }

  it('says "Page not found" at an unknown address, with a link to the incident list', async () => {
    const created = await server.api('/api/incidents/', { json: { title: 'Listed', severity: 'low' } });
    const inc = (await created.json()) as { id: string };
    for (const path of ['/nope', '/incidents/abc/def']) {
      const page = await newPage();
      const res = await page.goto(`${server.url}${path}`);
      expect(res?.status(), path).toBe(404);
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
      await expect(page.title()).resolves.toBe('Page not found · Warroom');
      await page.getByRole('link', { name: 'Go to the incident list' }).click();
      await page.locator(`li[data-incident-id="${inc.id}"]`).waitFor();
    }
  });

  it('says "No such incident" for an id that is not one, without asking the server', async () => {
    for (const id of ['x'.repeat(5000), 'not-an-id']) {
      const page = await newPage();
      const asked: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/trpc/incidents.get')) asked.push(r.url());
      });
      await page.goto(`${server.url}/incidents/${id}`);
      await page.getByRole('heading', { name: 'No such incident' }).waitFor();
      await page.getByTestId('no-such-incident').waitFor();
      await expect(page.getByText('Unable to transform', { exact: false }).count()).resolves.toBe(0);
      expect(asked).toEqual([]);
      // The long id wraps: the page is no wider than the window.
      await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(1280);
    }
  });
});
