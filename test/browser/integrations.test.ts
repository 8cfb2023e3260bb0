// The integrations page: rotating a secret takes a second, explicit step (it breaks every sender using the old one
// at once), and the server going away is said even when there are no integrations yet.
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DB_LABEL } from '../integration/harness.js';
import { LONG, SKIP_REASON, launchBrowser, startConsoleServer, type ConsoleServer } from './browser.js';

describe.skipIf(SKIP_REASON !== undefined)(`the integrations page (${DB_LABEL})`, { timeout: 180_000 }, () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const servers: ConsoleServer[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  }, 120_000);
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(server: ConsoleServer, path: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(LONG);
    await page.goto(`${server.url}${path}`);
    return page;
  }

  async function post(webhook: string, secret: string): Promise<number> {
    const res = await fetch(webhook, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ alerts: [{ dedup_key: 'disk-full', status: 'firing', title: 'Disk full' }] }),
    });
    return res.status;
  }

  it('asks before rotating a secret, saying what it breaks; cancelling keeps the old one working', async () => {
    const { server } = await startConsoleServer();
    servers.push(server);
    let page = await open(server, '/integrations');
    const form = page.getByRole('form', { name: 'New integration' });
    await form.getByLabel('Name').fill('scripts');
    await form.getByLabel('Sender').selectOption('generic');
    await form.getByRole('button', { name: 'Create integration' }).click();
    let details = page.getByTestId('integration-details');
    const secret = (await details.getByTestId('secret').textContent()) ?? '';
    const webhook = (await details.getByTestId('webhook-url').textContent()) ?? '';
    expect(secret).toMatch(/^whk_/);

    // Another visit: the secret is not shown, rotating is offered.
    await page.context().close();
    page = await open(server, '/integrations');
    details = page.getByTestId('integration-details');
    await details.getByRole('button', { name: 'Rotate the secret' }).click();
    // Nothing rotated yet: a question, saying what it breaks, with the keyboard on the safe answer.
    const confirm = details.getByTestId('rotate-confirm');
    await confirm.getByText('every sender still using it is refused').waitFor();
    await expect(details.getByTestId('secret').count()).resolves.toBe(0);
    await expect(
      confirm.getByRole('button', { name: 'Keep the current secret' }).evaluate((b) => b === document.activeElement),
    ).resolves.toBe(true);
    expect(await post(webhook, secret)).toBe(202);

    // Escape backs out; the old secret still works.
    await page.keyboard.press('Escape');
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await post(webhook, secret)).toBe(202);

    // By keyboard: open the question, move to "Rotate now", confirm.
    await details.getByRole('button', { name: 'Rotate the secret' }).focus();
    await page.keyboard.press('Enter');
    await confirm.waitFor();
    await page.keyboard.press('Tab');
    await expect(
      confirm.getByRole('button', { name: 'Rotate now' }).evaluate((b) => b === document.activeElement),
    ).resolves.toBe(true);
    await page.keyboard.press('Enter');
    const rotated = (await details.getByTestId('secret').textContent()) ?? '';
    expect(rotated).toMatch(/^whk_/);
    expect(rotated).not.toBe(secret);
    expect(await post(webhook, secret)).toBe(401);
    expect(await post(webhook, rotated)).toBe(202);
  });

  it('shows the server away when there are no integrations yet', async () => {
    const { server } = await startConsoleServer();
    const page = await open(server, '/integrations');
    await page.getByText('No integrations yet.').waitFor();
    await server.close();
    // Within the few seconds the other pages take.
    await page.getByTestId('connection-lost').waitFor({ timeout: 4_000 });
  });
});
