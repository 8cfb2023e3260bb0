// A lost connection is shown and heals by itself: the server is stopped under an open list and an open incident
// page, both say they are reconnecting, and once it is back on the same port and database they are live again and
// show what changed.
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../e2e/alertmanager.js';
import { spawnWarroom, type WarroomProcess } from '../e2e/process.js';
import { DB_LABEL } from '../integration/harness.js';
import { LONG, SKIP_REASON, launchBrowser, scratchDatabase } from './browser.js';

describe.skipIf(SKIP_REASON !== undefined)(
  `the console across a server restart (${DB_LABEL})`,
  { timeout: 180_000 },
  () => {
    let browser: Browser;
    let db: Awaited<ReturnType<typeof scratchDatabase>>;
    let env: Record<string, string>;
    let server: WarroomProcess | undefined;

    beforeAll(async () => {
      [db, browser] = await Promise.all([scratchDatabase(), launchBrowser()]);
      env = { ...db.env, PORT: String(await freePort()), LOG_LEVEL: 'info' };
      server = await spawnWarroom(env);
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      await db?.drop();
    });

    it('shows "reconnecting" while the server is away and catches up when it is back', async () => {
      if (!server) throw new Error('no server');
      const created = await server.api('/api/incidents/', { json: { title: 'Survives a restart', severity: 'high' } });
      const inc = (await created.json()) as { id: string };
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const list = await context.newPage();
      const page = await context.newPage();
      list.setDefaultTimeout(LONG);
      page.setDefaultTimeout(LONG);
      await list.goto(`${server.url}/`);
      await list.locator(`li[data-incident-id="${inc.id}"]`).waitFor();
      await page.goto(`${server.url}/incidents/${inc.id}`);
      await page.locator('article[data-live="live"]').waitFor();

      await server.stop();
      server = undefined;
      await page.getByTestId('connection-lost').waitFor();
      await list.getByTestId('connection-lost').waitFor();
      // Still the page, not a blank one.
      await page.getByTestId('incident-title').waitFor();

      server = await spawnWarroom(env);
      await page.locator('article[data-live="live"]').waitFor();
      await expect.poll(() => page.getByTestId('connection-lost').count(), { timeout: LONG }).toBe(0);
      await expect.poll(() => list.getByTestId('connection-lost').count(), { timeout: LONG }).toBe(0);
      const moved = await server.api(`/api/incidents/${inc.id}/status?status=identified`, { method: 'PATCH' });
      expect(moved.status).toBe(200);
      await page.locator('.incident-head').getByTestId('status').getByText('identified').waitFor();
      await list.locator(`li[data-incident-id="${inc.id}"]`).getByTestId('status').getByText('identified').waitFor();
      await context.close();
    });
  },
);
