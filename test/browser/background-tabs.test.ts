// Hidden list tabs let their live feed go. Each list tab's feed is one SSE stream, one HTTP/1.1 connection, and
// Chromium allows six per host: with six list tabs open a seventh Warroom tab stayed blank. Headless pages cannot
// really be hidden, so the test says they are (document.visibilityState and a visibilitychange event), as a browser
// does for a background tab.
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_LABEL } from '../integration/harness.js';
import {
  LONG,
  RELEASED_AFTER_MS,
  SKIP_REASON,
  launchBrowser,
  setVisibility,
  startConsoleServer,
  type ConsoleServer,
} from './browser.js';

describe.skipIf(SKIP_REASON !== undefined)(`the console in background tabs (${DB_LABEL})`, { timeout: 180_000 }, () => {
  let server: ConsoleServer;
  let browser: Browser;

  beforeAll(async () => {
    [{ server }, browser] = await Promise.all([startConsoleServer(), launchBrowser()]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function createIncident(title: string): Promise<string> {
    const res = await server.api('/api/incidents/', { json: { title, severity: 'high' } });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  it('loads a seventh tab while six hidden list tabs are open, and a tab shown again catches up', async () => {
    const first = await createIncident('Before the tabs');
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const tabs: Page[] = [];
    // Opened one after another, as a reader does: each new tab in front hides the one before. (Six tabs visible at
    // once could not all load: that is the browser's limit, and no tab can be told from outside to give way.)
    for (let n = 0; n < 6; n++) {
      const tab = await context.newPage();
      tab.setDefaultTimeout(LONG);
      await tab.goto(`${server.url}/`);
      await tab.locator(`li[data-incident-id="${first}"]`).waitFor();
      // Live: a new incident shows without a reload.
      const live = await createIncident(`Seen live by tab ${n}`);
      await tab.locator(`li[data-incident-id="${live}"]`).waitFor();
      await setVisibility(tab, 'hidden');
      tabs.push(tab);
    }
    await new Promise((r) => setTimeout(r, RELEASED_AFTER_MS));
    // Let go on purpose: nothing says the connection was lost.
    for (const tab of tabs) await expect(tab.getByTestId('connection-lost').count()).resolves.toBe(0);

    const whileHidden = await createIncident('Made while the tabs were hidden');
    const seventh = await context.newPage();
    // Without the release it never loads: its request waits for one of the six connections.
    seventh.setDefaultTimeout(15_000);
    await seventh.goto(`${server.url}/`);
    await seventh.locator(`li[data-incident-id="${whileHidden}"]`).waitFor();
    // And it is live itself.
    const seenBySeventh = await createIncident('Seen live by the seventh');
    await seventh.locator(`li[data-incident-id="${seenBySeventh}"]`).waitFor();

    // A hidden tab shown again subscribes again and catches up with what it missed, then is live.
    const back = tabs[0];
    if (!back) throw new Error('no tab');
    await expect(back.locator(`li[data-incident-id="${whileHidden}"]`).count()).resolves.toBe(0);
    await setVisibility(back, 'visible');
    await back.locator(`li[data-incident-id="${whileHidden}"]`).waitFor();
    await back.locator(`li[data-incident-id="${seenBySeventh}"]`).waitFor();
    const afterShown = await createIncident('Seen live once shown again');
    await back.locator(`li[data-incident-id="${afterShown}"]`).waitFor();
    await expect(back.getByTestId('connection-lost').count()).resolves.toBe(0);
    await context.close();
  });

  it('keeps the feed through a quick look at another tab', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const tab = await context.newPage();
    tab.setDefaultTimeout(LONG);
    const subscriptions: string[] = [];
    tab.on('request', (r) => {
      if (r.url().includes('incidents.onListUpdate')) subscriptions.push(r.url());
    });
    await tab.goto(`${server.url}/`);
    const first = await createIncident('Before the quick look');
    await tab.locator(`li[data-incident-id="${first}"]`).waitFor();
    const before = subscriptions.length;
    await setVisibility(tab, 'hidden');
    await new Promise((r) => setTimeout(r, 1_000));
    await setVisibility(tab, 'visible');
    const after = await createIncident('After the quick look');
    await tab.locator(`li[data-incident-id="${after}"]`).waitFor();
    // The same stream throughout: no new subscription.
    expect(subscriptions.length).toBe(before);
    await context.close();
  });
});
