// The console with keys enforced (AUTH=required, keys made with `warroom keys create`): the sign-in, a wrong key's
// clear message, the room through a ticket, and sign-out.
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_LABEL } from '../integration/harness.js';
import { LONG, SKIP_REASON, launchBrowser, startConsoleServer, type ConsoleServer } from './browser.js';

describe.skipIf(SKIP_REASON !== undefined)(`the console with keys enforced (${DB_LABEL})`, { timeout: 180_000 }, () => {
  let server: ConsoleServer;
  let keys: Record<string, string>;
  let browser: Browser;

  beforeAll(async () => {
    [{ server, keys }, browser] = await Promise.all([
      startConsoleServer(
        { AUTH: 'required' },
        { alice: 'write', reader: 'ingest', viewer: 'read', root: 'admin', temp: 'read' },
      ),
      launchBrowser(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** An incident made with alice's key, and a fresh browser (no key yet) on its page. */
  async function openIncident(body: { title: string; severity: string }) {
    const created = await server.api('/api/incidents/', {
      json: body,
      headers: { authorization: `Bearer ${keys.alice ?? ''}` },
    });
    expect(created.status).toBe(201);
    const inc = (await created.json()) as { id: string };
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    page.setDefaultTimeout(LONG);
    await page.goto(`${server.url}/incidents/${inc.id}`);
    return { inc, context, page };
  }

  it('asks for a key, refuses a wrong one plainly, signs in with a good one, joins the room, and signs out', async () => {
    const key = keys.alice ?? '';
    const { context, page } = await openIncident({ title: 'Behind a key', severity: 'high' });
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    await page.getByLabel('API key').fill('wr_not_a_real_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('sign-in-error').textContent()).resolves.toMatch(/not accepted/);

    // A valid key without the read scope: told what it lacks.
    await page.getByLabel('API key').fill(keys.reader ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('sign-in-error').textContent()).resolves.toMatch(/may not read/);

    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('incident-title').getByText('Behind a key').waitFor();
    // The room socket opened with a ticket: the key's name is present.
    await page.locator('article[data-live="live"]').waitFor();
    await page.getByTestId('presence').getByText('alice').waitFor();
    await page.getByLabel('Message', { exact: true }).fill('Signed in and talking');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByTestId('messages').getByText('Signed in and talking').waitFor();

    await page.getByTestId('sign-out').click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expect(page.evaluate(() => sessionStorage.getItem('warroom.apiKey'))).resolves.toBeNull();
    await context.close();
  });

  it('offers a read-only key no controls it may not use, and says why plainly', async () => {
    const { inc, context, page } = await openIncident({ title: 'Watched, not touched', severity: 'medium' });
    await page.getByLabel('API key').fill(keys.viewer ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('incident-title').getByText('Watched, not touched').waitFor();
    await page.getByText('Your key viewer may not change the status: that needs the write scope.').waitFor();
    await expect(page.getByRole('group', { name: 'Change status' }).getByRole('button').count()).resolves.toBe(0);
    await page.getByText('Your key viewer may not speak in the room').waitFor();
    await expect(page.getByRole('button', { name: 'Send' }).count()).resolves.toBe(0);
    await expect(page.getByTestId('actions').locator('select').count()).resolves.toBe(0);
    // Listening still works: the viewer is present in the room.
    await page.locator('article[data-live="live"]').waitFor();
    await page.getByTestId('presence').getByText('viewer').waitFor();

    await page.getByRole('link', { name: '← Incidents' }).click();
    await page.locator(`li[data-incident-id="${inc.id}"]`).waitFor();
    await expect(page.getByRole('button', { name: 'New incident' }).count()).resolves.toBe(0);
    await page.getByText('Your key viewer may not open an incident: that needs the write scope.').waitFor();

    await page.getByRole('link', { name: 'Alerts & integrations' }).click();
    await page.getByText('Your key viewer may not see or manage integrations').waitFor();
    await expect(page.getByRole('form', { name: 'New integration' }).count()).resolves.toBe(0);
    // Told plainly, not met with a refusal.
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    await context.close();
  });

  it('offers no "Sign out" beside the sign-in form once the key is refused (revoked)', async () => {
    const { context, page } = await openIncident({ title: 'Key revoked meanwhile', severity: 'low' });
    await page.getByLabel('API key').fill(keys.temp ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('incident-title').getByText('Key revoked meanwhile').waitFor();
    await page.getByTestId('sign-out').waitFor();

    const revoked = await server.api('/api/keys/temp', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${keys.root ?? ''}` },
    });
    expect(revoked.status).toBe(200);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // One way on: the form. A "Sign out" beside it would sign out of nothing.
    await expect(page.getByTestId('sign-out').count()).resolves.toBe(0);

    await page.getByLabel('API key').fill(keys.viewer ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('incident-title').getByText('Key revoked meanwhile').waitFor();
    await page.getByTestId('sign-out').waitFor();
    await context.close();
  });
});
