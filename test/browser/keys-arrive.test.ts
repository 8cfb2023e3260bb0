// A console opened while the server was open (no API keys) when the first key is made: its live list and its room
// stop at once (within the server's 10 s recheck) and the page asks for a key, instead of listening on and letting
// its user chat on a server that now requires a key.
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_LABEL } from '../integration/harness.js';
import { LONG, SKIP_REASON, launchBrowser, startConsoleServer, type ConsoleServer } from './browser.js';

describe.skipIf(SKIP_REASON !== undefined)(
  `an open console when keys arrive (${DB_LABEL})`,
  { timeout: 180_000 },
  () => {
    let server: ConsoleServer;
    let browser: Browser;
    const contexts: BrowserContext[] = [];

    beforeAll(async () => {
      [{ server }, browser] = await Promise.all([startConsoleServer(), launchBrowser()]);
    }, 120_000);
    afterAll(async () => {
      await Promise.all(contexts.map((c) => c.close()));
      await browser?.close();
      await server?.close();
    });

    async function open(path: string): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      contexts.push(context);
      await context.addInitScript(() => window.localStorage.setItem('warroom.userName', 'eve'));
      const page = await context.newPage();
      page.setDefaultTimeout(LONG);
      await page.goto(`${server.url}${path}`);
      return page;
    }

    it('asks for a key on the list and in the room once the first key exists', async () => {
      const created = await server.api('/api/incidents/', { json: { title: 'Before keys', severity: 'high' } });
      const inc = (await created.json()) as { id: string };
      const list = await open('/');
      const room = await open(`/incidents/${inc.id}`);
      await list.getByText('Before keys').first().waitFor();
      await room.locator('article[data-live="live"]').waitFor();

      const made = await server.api('/api/keys', { json: { name: 'first', scopes: ['admin'] } });
      expect(made.status).toBe(201);
      for (const page of [list, room]) {
        await page.getByLabel('API key').waitFor({ timeout: 15_000 });
        await expect(page.getByText('Before keys').count()).resolves.toBe(0);
      }
    });
  },
);
