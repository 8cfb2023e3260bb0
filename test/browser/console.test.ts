// The console in a real browser against a real Warroom process: the live list, the live incident page (events,
// status moves, analysis), chat with presence across two browser contexts, integrations, an accessibility scan, and
// the README's screenshots.
import { type Browser, type BrowserContext, type Page, type WebSocketRoute } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DB_LABEL } from '../integration/harness.js';
import { connectRoom } from '../integration/ws-client.js';
import {
  LONG,
  SCREENSHOTS,
  SKIP_REASON,
  launchBrowser,
  seriousViolations,
  startConsoleServer,
  type ConsoleServer,
} from './browser.js';

interface Created {
  id: string;
  title: string;
  created_at: string;
}

/** An ISO-8601 time as the server writes it into text ("2026-03-10T09:14:02Z"). */
const ISO_IN_TEXT = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

describe.skipIf(SKIP_REASON !== undefined)(`the console in Chromium (${DB_LABEL})`, { timeout: 180_000 }, () => {
  let server: ConsoleServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [{ server }, browser] = await Promise.all([startConsoleServer(), launchBrowser()]);
  }, 120_000);
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    // An uncaught error in the page fails the test that caused it.
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A fresh browser context (its own storage) and page at 1280x720, with `name` as its chat name. */
  async function openPage(
    path: string,
    opts: {
      name?: string;
      width?: number;
      height?: number;
      locale?: string;
      timezoneId?: string;
      before?: (page: Page) => Promise<void>;
    } = {},
  ): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: opts.width ?? 1280, height: opts.height ?? 720 },
      reducedMotion: 'reduce',
      ...(opts.locale ? { locale: opts.locale } : {}),
      ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
    });
    contexts.push(context);
    if (opts.name) {
      const name = opts.name;
      await context.addInitScript((n) => window.localStorage.setItem('warroom.userName', n), name);
    }
    const page = await context.newPage();
    page.setDefaultTimeout(LONG);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await opts.before?.(page);
    await page.goto(`${server.url}${path}`);
    return page;
  }

  async function createIncident(body: Record<string, unknown>): Promise<Created> {
    const res = await server.api('/api/incidents/', { json: body });
    expect(res.status).toBe(201);
    return (await res.json()) as Created;
  }

  async function ingest(incidentId: string, events: Array<Record<string, unknown>>): Promise<void> {
    const res = await server.api('/api/ingest/events/batch', {
      json: events.map((e) => ({ incident_id: incidentId, event_type: 'log', source: 'api-server-01', ...e })),
    });
    expect(res.status).toBe(201);
  }

  /** Waits until the incident's stored analysis is one made from its events: it names times (ISO-8601, UTC). */
  async function analysedWithTimes(id: string): Promise<void> {
    await expect
      .poll(
        async () => {
          const got = (await (await server.api(`/api/incidents/${id}`)).json()) as {
            root_cause: string | null;
            ai_summary: string | null;
          };
          return `${got.root_cause ?? ''} ${got.ai_summary ?? ''}`;
        },
        { timeout: 90_000, interval: 250 },
      )
      .toMatch(ISO_IN_TEXT);
  }

  const row = (page: Page, id: string) => page.locator(`li[data-incident-id="${id}"]`);

  it('shows an incident created through the API in an open list, then its status change, without reload', async () => {
    // Not an empty list: an arrival has rows to join.
    const earlier = await createIncident({ title: 'Earlier incident', severity: 'low' });
    const page = await openPage('/');
    await row(page, earlier.id).waitFor();
    const inc = await createIncident({ title: 'Checkout returning 502s', severity: 'critical', tags: ['payments'] });
    await row(page, inc.id).waitFor();
    await expect(row(page, inc.id).getByTestId('severity').textContent()).resolves.toContain('critical');
    await expect(row(page, inc.id).getByTestId('status').textContent()).resolves.toBe('open');

    const moved = await server.api(`/api/incidents/${inc.id}/status?status=investigating`, { method: 'PATCH' });
    expect(moved.status).toBe(200);
    await row(page, inc.id).getByTestId('status').getByText('investigating').waitFor();
  });

  it('keeps the filters in the URL and applies them to live arrivals', async () => {
    const page = await openPage('/?severity=low');
    await expect(page.getByLabel('Severity').first().inputValue()).resolves.toBe('low');
    await page.getByRole('heading', { name: 'Incidents' }).waitFor();
    const high = await createIncident({ title: 'Filtered out: high', severity: 'high' });
    const low = await createIncident({ title: 'Filtered in: low', severity: 'low' });
    await row(page, low.id).waitFor();
    await expect(row(page, high.id).count()).resolves.toBe(0);

    await page.getByLabel('Status').selectOption('open');
    await page.waitForURL((u) => u.searchParams.get('status') === 'open' && u.searchParams.get('severity') === 'low');
    await row(page, low.id).waitFor();
  });

  it('keeps a text filter as typed, a trailing space included, while the URL gets it trimmed', async () => {
    const page = await openPage('/incidents/');
    await page.getByRole('heading', { name: 'Incidents' }).waitFor();
    const source = page.getByLabel('Source');
    await source.pressSequentially('payments ');
    await page.waitForURL((u) => u.searchParams.get('source') === 'payments');
    // Past the debounce: the URL has been written back and the box still holds the space, so the next word follows it.
    await page.waitForTimeout(500);
    await expect(source.inputValue()).resolves.toBe('payments ');
    await source.pressSequentially('api');
    await page.waitForURL((u) => u.searchParams.get('source') === 'payments api');
    await expect(source.inputValue()).resolves.toBe('payments api');
  });

  it('creates an incident from the "new incident" form', async () => {
    const page = await openPage('/');
    await page.getByRole('button', { name: 'New incident' }).click();
    const form = page.getByRole('form', { name: 'New incident' });
    await form.getByLabel('Title').fill('Made in the console');
    await form.getByLabel('Severity').selectOption('high');
    await form.getByRole('button', { name: 'Create incident' }).click();
    await page.locator('li.incident-row', { hasText: 'Made in the console' }).waitFor();
  });

  it('shows events live on the incident page, moves the status with a button, and shows the analysis', async () => {
    const inc = await createIncident({ title: 'Database connection timeout', severity: 'high', source: 'datadog' });
    const page = await openPage(`/incidents/${inc.id}`);
    await page.getByTestId('incident-title').getByText(inc.title).waitFor();
    await page.locator('article[data-live="live"]').waitFor();

    await ingest(inc.id, [
      { message: 'PostgreSQL connection pool exhausted (50/50 in use)', level: 'error' },
      { message: 'upstream timed out after 30s', level: 'warning' },
    ]);
    await page.getByTestId('events').getByText('PostgreSQL connection pool exhausted (50/50 in use)').waitFor();
    // A row shows one line; the whole event opens below the list.
    await page.getByRole('button', { name: 'PostgreSQL connection pool exhausted (50/50 in use)' }).click();
    await page.getByRole('region', { name: 'Event details' }).getByText('from api-server-01').waitFor();

    // The buttons show once the key's scopes are known, which a request of its own brings: wait for them, then read
    // them all at once. Only the moves the lifecycle allows are offered: every later status, nothing backwards.
    const moves = page.getByRole('group', { name: 'Change status' }).getByRole('button');
    await moves.first().waitFor();
    await expect(moves.allTextContents()).resolves.toEqual([
      'Move to investigating',
      'Move to identified',
      'Move to monitoring',
      'Resolve',
      'Close',
    ]);
    await page.getByRole('button', { name: 'Move to investigating' }).click();
    await page.locator('.incident-head').getByTestId('status').getByText('investigating').waitFor();
    await page.getByTestId('timeline').getByText('investigating', { exact: false }).first().waitFor();
    await expect(page.getByRole('button', { name: 'Move to open' }).count()).resolves.toBe(0);

    // The analyzer runs after ingest (debounced) and pushes its result to the room.
    await ingest(
      inc.id,
      Array.from({ length: 20 }, (_, i) => ({
        message: `FATAL: remaining connection slots are reserved (pool exhausted) attempt ${i}`,
        level: 'error',
      })),
    );
    await page.getByTestId('root-cause').waitFor({ timeout: 90_000 });
    await page.getByTestId('actions').locator('li').first().waitFor({ timeout: LONG });
  });

  it("shows the times inside the analysis's text in the reader's locale and time zone", async () => {
    const inc = await createIncident({ title: 'Pool exhausted, read in Berlin', severity: 'high' });
    const page = await openPage(`/incidents/${inc.id}`, { locale: 'de-DE', timezoneId: 'Europe/Berlin' });
    await page.locator('article[data-live="live"]').waitFor();
    await ingest(
      inc.id,
      Array.from({ length: 20 }, (_, i) => ({
        message: `FATAL: remaining connection slots are reserved (pool exhausted) attempt ${i}`,
        level: 'error',
        timestamp: new Date(Date.UTC(2026, 10, 29, 23, 30, i)).toISOString(),
      })),
    );
    const analysis = page.getByTestId('analysis');
    // What the server stores says its times in UTC, ISO-8601 (the test would prove nothing otherwise) …
    await analysedWithTimes(inc.id);
    // … and the page shows none of them so: each is a <time> in German, Berlin time.
    const times = analysis.locator('p time');
    await times.first().waitFor({ timeout: LONG });
    await expect.poll(() => analysis.innerText()).not.toMatch(ISO_IN_TEXT);
    const iso = (await times.first().getAttribute('datetime')) ?? '';
    expect(iso).toMatch(ISO_IN_TEXT);
    const expected = new Date(iso).toLocaleString('de-DE', {
      dateStyle: 'short',
      timeStyle: 'medium',
      timeZone: 'Europe/Berlin',
    });
    await expect(times.first().textContent()).resolves.toBe(expected);
  });

  it('keeps the rows in view still when an incident arrives while the reader is scrolled down the list', async () => {
    const made: Array<{ id: string }> = [];
    for (let i = 0; i < 30; i++) made.push(await createIncident({ title: `Already here ${i}`, severity: 'low' }));
    const page = await openPage('/');
    // Newest first: this one is the tenth row from the top.
    const anchor = made[20];
    if (!anchor) throw new Error('no anchor');
    await row(page, anchor.id).waitFor();
    await page.evaluate(() => window.scrollTo(0, 500));
    await expect
      .poll(() =>
        page.evaluate(() => document.querySelector('[data-testid="incident-list"]')?.getBoundingClientRect().top ?? 0),
      )
      .toBeLessThan(0);
    const before = await row(page, anchor.id).boundingBox();

    const arrived = await createIncident({ title: 'Arrived while reading', severity: 'critical' });
    await page.getByTestId('new-arrivals').getByText('1 new incident (1 critical or high): show').waitFor();
    await expect(row(page, arrived.id).count()).resolves.toBe(0);
    expect(await row(page, anchor.id).boundingBox()).toEqual(before);
    // A status change of a row in view applies in place, moving nothing.
    const moved = await server.api(`/api/incidents/${anchor.id}/status?status=investigating`, { method: 'PATCH' });
    expect(moved.status).toBe(200);
    await row(page, anchor.id).getByTestId('status').getByText('investigating').waitFor();
    expect(await row(page, anchor.id).boundingBox()).toEqual(before);

    await page.getByTestId('new-arrivals').click();
    await row(page, arrived.id).waitFor();
    await expect(page.locator('li.incident-row').first().getAttribute('data-incident-id')).resolves.toBe(arrived.id);
    await expect(page.getByTestId('new-arrivals').count()).resolves.toBe(0);
  });

  it('keeps ages right to the second, and shows MTTR instead of an age once resolved', async () => {
    const inc = await createIncident({ title: 'Ageing by the second', severity: 'medium' });
    const page = await openPage('/');
    const age = row(page, inc.id).getByTestId('age');
    await age.waitFor();
    // The age shown, against the true one, over a few seconds: a slower refresh falls behind by more than a second.
    // The true age is taken on both sides of the read, which itself takes a while on a loaded machine: the shown
    // (whole-second) age must fit the time the read spanned, less at most 1.6 s of refresh lag.
    const created = Date.parse(inc.created_at);
    for (let sample = 0; sample < 8; sample++) {
      const before = (Date.now() - created) / 1000;
      const shown = Number(/^(\d+)s ago$/.exec((await age.textContent()) ?? '')?.[1]);
      const after = (Date.now() - created) / 1000;
      const read = `shown ${shown}s, truly ${before.toFixed(1)}-${after.toFixed(1)}s`;
      expect(shown, read).toBeGreaterThan(before - 1.6);
      expect(shown, read).toBeLessThan(after + 0.6);
      await page.waitForTimeout(400);
    }

    const resolved = await server.api(`/api/incidents/${inc.id}/status?status=resolved`, { method: 'PATCH' });
    expect(resolved.status).toBe(200);
    await row(page, inc.id)
      .getByTestId('mttr')
      .getByText(/^MTTR \d+s$/)
      .waitFor();
    await expect(row(page, inc.id).getByTestId('age').count()).resolves.toBe(0);

    await page.getByRole('link', { name: inc.title }).click();
    await page.locator('.incident-head').getByTestId('mttr').waitFor();
    await expect(page.locator('.incident-head').getByTestId('age').count()).resolves.toBe(0);
    await expect(page.locator('.incident-head').textContent()).resolves.not.toMatch(/ ago/);
  });

  it('gives an event message the width the page has at 1280x720', async () => {
    const inc = await createIncident({ title: 'Long messages', severity: 'low' });
    const message = 'upstream connect error or disconnect/reset before headers, reset reason: overflow';
    await ingest(inc.id, [{ message, level: 'error' }]);
    const page = await openPage(`/incidents/${inc.id}`);
    const button = page.getByRole('button', { name: message });
    await button.waitFor();
    const size = await button.evaluate((el) => ({ client: el.clientWidth, scroll: el.scrollWidth }));
    expect(size.client).toBeGreaterThan(600);
    // Whole: not cut with an ellipsis.
    expect(size.scroll).toBeLessThanOrEqual(size.client);
  });

  it('at phone width shows event times whole and the analysis and actions unclipped', async () => {
    const inc = await createIncident({ title: 'Read on a phone', severity: 'high' });
    await ingest(
      inc.id,
      Array.from({ length: 20 }, (_, i) => ({
        message: `FATAL: remaining connection slots are reserved (pool exhausted) attempt ${i}`,
        level: 'error',
      })),
    );
    const page = await openPage(`/incidents/${inc.id}`, { width: 390, height: 844 });
    // The analysis of the events (the one made at create is a sentence): it has times in it, shown as <time>.
    await analysedWithTimes(inc.id);
    await page.getByTestId('analysis').locator('p time').first().waitFor({ timeout: LONG });
    await page.getByTestId('actions').locator('li').first().waitFor({ timeout: LONG });
    await page.getByTestId('events').locator('li').first().waitFor();
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(390);

    const clipped = await page.evaluate(() =>
      ['.analysis', '.actions-card']
        .map((sel) => document.querySelector(sel))
        .filter((el): el is Element => el !== null && el.scrollHeight > el.clientHeight + 1)
        .map((el) => el.className),
    );
    expect(clipped).toEqual([]);

    const cut = await page.evaluate(() =>
      [...document.querySelectorAll('[data-testid="events"] li')].flatMap((li) => {
        const time = li.querySelector('time');
        if (!time) return ['a row without its time'];
        const t = time.getBoundingClientRect();
        const r = li.getBoundingClientRect();
        const whole = time.scrollWidth <= time.clientWidth && t.right <= r.right + 0.5 && t.left >= r.left;
        return whole ? [] : [time.textContent ?? ''];
      }),
    );
    expect(cut).toEqual([]);
  });

  for (const [width, height] of [
    [1280, 720],
    [390, 844],
  ] as const) {
    it(`does not move what the reader looks at when the analysis, actions and chat arrive live (${width}x${height})`, async () => {
      const inc = await createIncident({ title: `Growing while read at ${width}`, severity: 'high' });
      const page = await openPage(`/incidents/${inc.id}`, { width, height });
      await page.locator('article[data-live="live"]').waitFor();
      // The controls the key allows are in (the chat box comes with them): the page as a reader settles on it.
      await page.getByRole('button', { name: 'Move to investigating' }).waitFor();
      const phone = width < 760;
      // At phone width the page is one column and the reader scrolls down to the events; at 1280 the page is read
      // from the top, where the timeline is in view and the events start just below it.
      const watched = phone ? ['#events-heading'] : ['#timeline-heading', '#events-heading'];
      if (phone) await page.locator('#events-heading').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      const where = () =>
        page.evaluate(
          (sels) => sels.map((sel) => Math.round(document.querySelector(sel)?.getBoundingClientRect().top ?? NaN)),
          watched,
        );
      const before = await where();

      const bob = await connectRoom(server.url, inc.id, { user: 'bob' });
      for (let i = 0; i < 15; i++) bob.send({ user: 'bob', message: `status update ${i}: still looking at the pool` });
      await ingest(
        inc.id,
        Array.from({ length: 20 }, (_, i) => ({
          message: `FATAL: remaining connection slots are reserved (pool exhausted) attempt ${i}`,
          level: 'error',
        })),
      );
      await page.getByTestId('messages').getByText('status update 14', { exact: false }).waitFor();
      await page.getByTestId('root-cause').waitFor({ timeout: 90_000 });
      await page.getByTestId('actions').locator('li').first().waitFor({ timeout: LONG });
      await bob.close();
      // Within a pixel (scroll anchoring rounds the sub-pixel layout); unheld, they move by hundreds.
      const after = await where();
      expect(
        after.map((top, i) => Math.abs(top - (before[i] ?? NaN)) <= 1),
        `${before} → ${after}`,
      ).toEqual(before.map(() => true));
    });
  }

  it("does not move the timeline when the key's scopes arrive after the page (the chat box holds its place)", async () => {
    const inc = await createIncident({ title: 'Settling on load', severity: 'low' });
    const page = await openPage(`/incidents/${inc.id}`, {
      name: 'ann',
      // Every frame from the first: where the timeline's heading is, once it exists.
      before: async (p) => {
        await p.addInitScript(() => {
          const tops: number[] = [];
          Object.assign(window, { timelineTops: tops });
          const watch = (): void => {
            const el = document.querySelector('#timeline-heading');
            if (el) tops.push(Math.round(el.getBoundingClientRect().top + window.scrollY));
            requestAnimationFrame(watch);
          };
          requestAnimationFrame(watch);
        });
      },
    });
    await page.getByRole('button', { name: 'Move to investigating' }).waitFor();
    await page.getByLabel('Message').and(page.locator(':enabled')).waitFor();
    await page.waitForTimeout(200);
    const tops = await page.evaluate(() => (window as unknown as { timelineTops: number[] }).timelineTops);
    expect(tops.length).toBeGreaterThan(0);
    expect([...new Set(tops)]).toHaveLength(1);
  });

  it('on an open server, credits a status move to the name the responder gave in the room, not "system"', async () => {
    const inc = await createIncident({ title: 'Moved by a named responder', severity: 'medium' });
    const page = await openPage(`/incidents/${inc.id}`, { name: 'alice' });
    await page.locator('article[data-live="live"]').waitFor();
    // Another tab of this browser joins as bob: the name saved for new tabs changes, this tab's responder does not.
    await page.evaluate(() => window.localStorage.setItem('warroom.userName', 'bob'));
    await page.getByRole('button', { name: 'Move to investigating' }).click();
    await page.locator('.incident-head').getByTestId('status').getByText('investigating').waitFor();
    const timeline = (await (await server.api(`/api/incidents/${inc.id}/timeline`)).json()) as Array<{
      entry_type: string;
      actor: string;
    }>;
    expect(timeline.filter((e) => e.entry_type === 'status_change').map((e) => e.actor)).toEqual(['alice']);
  });

  it('keeps the focus with the status buttons after a move, and drops an outage error once the server is back', async () => {
    const inc = await createIncident({ title: 'Moved by keyboard', severity: 'medium' });
    let room: WebSocketRoute | undefined;
    const page = await openPage(`/incidents/${inc.id}`, {
      before: (p) =>
        p.routeWebSocket(/\/ws\/incidents\//, (ws) => {
          room = ws;
          ws.connectToServer();
        }),
    });
    await page.locator('article[data-live="live"]').waitFor();
    await page.getByRole('button', { name: 'Move to investigating' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('.incident-head').getByTestId('status').getByText('investigating').waitFor();
    await expect(page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).resolves.toBe(
      'Change status',
    );
    // Tab goes on to the next move, not back to the top of the page.
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Move to identified');

    // The server unreachable for the move, and the room dropped with it: the error says so …
    await page.route('**/trpc/incidents.updateStatus**', (route) => route.abort());
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('status-error').textContent()).resolves.toBe('Cannot reach the Warroom server.');
    await room?.close();
    await page.locator('article[data-live="reconnecting"]').waitFor();
    // … until the room is back: then it no longer holds, and the move works.
    await page.unroute('**/trpc/incidents.updateStatus**');
    await page.locator('article[data-live="live"]').waitFor();
    await expect.poll(() => page.getByTestId('status-error').count()).toBe(0);
    await page.getByRole('button', { name: 'Move to identified' }).click();
    await page.locator('.incident-head').getByTestId('status').getByText('identified').waitFor();
  });

  it('says plainly that an unknown incident does not exist, and stops trying its room', async () => {
    for (const id of ['3f2b8c1e-9d4a-4c6b-8e7f-0a1b2c3d4e5f', 'not-an-id']) {
      let sockets = 0;
      const page = await openPage(`/incidents/${id}`, {
        before: async (p) => {
          p.on('websocket', () => (sockets += 1));
        },
      });
      await page.getByTestId('no-such-incident').waitFor();
      await page.getByRole('heading', { name: 'No such incident' }).waitFor();
      // Until the page learns the incident is unknown, the refused socket retries (its first retry comes after about
      // 0.5 s, sooner than a loaded machine may answer the page's read); from then on, never again. Retrying, it
      // would have tried again three times by now (after 0.5, 1 and 2 s).
      const whenTold = sockets;
      await page.waitForTimeout(4000);
      expect(sockets, id).toBe(whenTold);
      await expect(page.getByTestId('connection-lost').count()).resolves.toBe(0);
      await page.close();
    }
  });

  it('shows a refusal from the server (409) plainly', async () => {
    const inc = await createIncident({ title: 'Closed behind your back', severity: 'low' });
    // A room socket that never hears from the server: the page cannot learn of the close below, so it still offers
    // moves the server will refuse.
    const page = await openPage(`/incidents/${inc.id}`, {
      before: (p) => p.routeWebSocket(/\/ws\/incidents\//, () => undefined),
    });
    await page.getByTestId('incident-title').getByText(inc.title).waitFor();
    const closed = await server.api(`/api/incidents/${inc.id}/status?status=closed`, { method: 'PATCH' });
    expect(closed.status).toBe(200);
    await page.getByRole('button', { name: 'Move to investigating' }).click();
    await expect(page.getByTestId('status-error').textContent()).resolves.toMatch(/409.*closed/);
    // And then shows what the server holds: closed, with no moves left to offer.
    await page.locator('.incident-head').getByTestId('status').getByText('closed').waitFor();
    await page.getByText('Closed: final, no further moves.').waitFor();
    await expect(page.getByRole('button', { name: 'Move to investigating' }).count()).resolves.toBe(0);
    await expect(page.getByTestId('status-error').textContent()).resolves.toMatch(/409.*closed/);
  });

  it('keeps a long event list virtualised and pages older events through the server cursor', async () => {
    const inc = await createIncident({ title: 'Noisy incident', severity: 'low' });
    for (let batch = 0; batch < 2; batch++) {
      await ingest(
        inc.id,
        Array.from({ length: 1000 }, (_, i) => ({
          message: `GET /api/cart/${batch * 1000 + i} 200`,
          level: 'info',
          timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, batch * 1000 + i)).toISOString(),
        })),
      );
    }
    const page = await openPage(`/incidents/${inc.id}`);
    const events = page.getByTestId('events');
    await events.getByText('GET /api/cart/1999 200', { exact: true }).waitFor();
    for (let n = 400; n <= 1000; n += 200) {
      await page.getByRole('button', { name: 'Load older events' }).click();
      await page.getByText(`(${n} loaded, newest first)`).waitFor();
    }
    // A thousand events loaded, a screenful in the DOM.
    await expect(events.locator('li').count()).resolves.toBeLessThan(80);
    await page.getByRole('region', { name: 'Event list' }).evaluate((el) => (el.scrollTop = el.scrollHeight));
    await events.getByText('GET /api/cart/1000 200', { exact: true }).waitFor();

    // Level filter: none of these is an error.
    await page.getByLabel('Level').selectOption('error');
    await page.getByText('(0 matching loaded, newest first)').waitFor();
    await page.getByText('No events match these filters.').waitFor();
  });

  it('filters events on the server: a filtered list pages through matching events and live events that do not match stay out', async () => {
    const inc = await createIncident({ title: 'Mostly info, errors further back', severity: 'medium' });
    const at = (hour: number, s: number): string => new Date(Date.UTC(2026, 10, 1, hour, 0, s)).toISOString();
    // The 250 errors are older than the 300 infos: none of them is in the first page the page loads unfiltered.
    await ingest(inc.id, [
      ...Array.from({ length: 300 }, (_, i) => ({ message: `info ${i}`, level: 'info', timestamp: at(2, i) })),
      ...Array.from({ length: 250 }, (_, i) => ({
        message: `error ${i}`,
        level: 'error',
        event_type: 'alert',
        timestamp: at(1, i),
      })),
    ]);
    const page = await openPage(`/incidents/${inc.id}`);
    const events = page.getByTestId('events');
    await page.getByText('(200 loaded, newest first)').waitFor();
    await events.getByText('info 299', { exact: true }).waitFor();
    await page.locator('article[data-live="live"]').waitFor();

    await page.getByLabel('Level').selectOption('error');
    await page.getByText('(200 matching loaded, newest first)').waitFor();
    await events.getByText('error 249', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Load older events' }).click();
    await page.getByText('(250 matching loaded, newest first)').waitFor();
    await expect(page.getByRole('button', { name: 'Load older events' }).count()).resolves.toBe(0);
    await page.getByLabel('Type').selectOption('log');
    await page.getByText('No events match these filters.').waitFor();
    await page.getByLabel('Type').selectOption('alert');
    await page.getByText('(200 matching loaded, newest first)').waitFor();

    // Live: of one batch, only the event that matches the filter is shown.
    await ingest(inc.id, [
      { message: 'live info', level: 'info', event_type: 'alert' },
      { message: 'live error', level: 'error', event_type: 'alert' },
    ]);
    await events.getByText('live error', { exact: true }).waitFor();
    await page.getByText('(201 matching loaded, newest first)').waitFor();
    await expect(events.getByText('live info', { exact: true }).count()).resolves.toBe(0);

    // Back to every event: the server's first page again, newest first.
    await page.getByLabel('Level').selectOption('');
    await page.getByLabel('Type').selectOption('');
    await events.getByText('live info', { exact: true }).waitFor();
    await page.getByText('(200 loaded, newest first)').waitFor();
  });

  it('keeps the newest chat message in view as messages arrive, in the other tab too', async () => {
    const inc = await createIncident({ title: 'A busy room', severity: 'medium' });
    const alice = await openPage(`/incidents/${inc.id}`, { name: 'alice' });
    const bob = await openPage(`/incidents/${inc.id}`, { name: 'bob' });
    await alice.getByTestId('presence').getByText('bob').waitFor();
    for (let i = 1; i <= 25; i++) {
      await alice.getByLabel('Message as alice').fill(`update number ${i}`);
      await alice.getByRole('button', { name: 'Send' }).click();
      await alice.getByTestId('messages').getByText(`update number ${i}`, { exact: true }).waitFor();
    }
    await bob.getByTestId('messages').getByText('update number 25', { exact: true }).waitFor();
    for (const page of [alice, bob]) {
      const list = page.getByTestId('messages');
      // The list overflows, and it is scrolled to its end.
      await expect.poll(() => list.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(2);
      await expect(list.evaluate((el) => el.scrollHeight > el.clientHeight)).resolves.toBe(true);
    }
    await alice.close();
    await bob.close();
  });

  it('wraps a long unbroken title instead of widening the page, at 1280 and at phone width', async () => {
    const inc = await createIncident({ title: 'x'.repeat(500), severity: 'low' });
    for (const width of [1280, 390]) {
      const page = await openPage(`/incidents/${inc.id}`, { width, height: width === 390 ? 844 : 720 });
      await page.getByTestId('incident-title').waitFor();
      await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(width);
      await page.close();
    }
  });

  it('lets two people chat in one room and see each other present', async () => {
    const inc = await createIncident({ title: 'Chat room test', severity: 'medium' });
    const alice = await openPage(`/incidents/${inc.id}`, { name: 'alice' });
    const bob = await openPage(`/incidents/${inc.id}`, { name: 'bob' });
    await alice.getByTestId('presence').getByText('bob').waitFor();
    await bob.getByTestId('presence').getByText('alice').waitFor();

    await alice.getByLabel('Message as alice').fill('Rolling back the deploy now');
    await alice.getByRole('button', { name: 'Send' }).click();
    await bob.getByTestId('messages').getByText('Rolling back the deploy now').waitFor();
    await alice.getByTestId('messages').getByText('Rolling back the deploy now').waitFor();

    await bob.close();
    await alice.getByTestId('presence').getByText('alice').waitFor();
    await expect.poll(() => alice.getByTestId('presence').textContent(), { timeout: LONG }).not.toContain('bob');
  });

  it('creates an integration, shows its URL, its secret once, the snippet, and a delivery with its outcome', async () => {
    const page = await openPage('/integrations');
    const form = page.getByRole('form', { name: 'New integration' });
    await form.getByLabel('Name').fill('prometheus');
    await form.getByLabel('Sender').selectOption('generic');
    await form.getByRole('button', { name: 'Create integration' }).click();
    const details = page.getByTestId('integration-details');
    const secret = (await details.getByTestId('secret').textContent()) ?? '';
    const webhook = (await details.getByTestId('webhook-url').textContent()) ?? '';
    expect(secret).toMatch(/^whk_/);
    expect(webhook).toMatch(/\/api\/integrations\/[0-9a-f-]{36}\/alerts$/);
    await details.locator('pre', { hasText: secret }).first().waitFor();

    const res = await fetch(webhook, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        alerts: [{ dedup_key: 'backup-nightly', status: 'firing', title: 'Nightly backup failed' }],
      }),
    });
    expect(res.status).toBe(202);
    await details.getByRole('button', { name: 'Refresh' }).click();
    await details.getByText('created', { exact: true }).waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}integrations.png` });
  });

  it('shows the server away on the integrations page as the other pages do, and recovers by itself', async () => {
    const unreachable = '**/trpc/**';
    // Away from the start: the list cannot load.
    const page = await openPage('/integrations', {
      before: async (p) => {
        await p.route(unreachable, (route) => route.abort());
      },
    });
    await page.getByTestId('connection-lost').getByText('integrations', { exact: false }).waitFor();
    await page.unroute(unreachable);
    const form = page.getByRole('form', { name: 'New integration' });
    await form.getByLabel('Name').fill('recovers');
    await form.getByRole('button', { name: 'Create integration' }).click();
    const details = page.getByTestId('integration-details');
    await details.getByRole('heading', { name: 'recovers' }).waitFor();
    await expect.poll(() => page.getByTestId('connection-lost').count()).toBe(0);

    // Away while the deliveries are polled: the banner, not an error that outlives the outage.
    await page.route(unreachable, (route) => route.abort());
    await page.getByTestId('connection-lost').waitFor();
    await page.unroute(unreachable);
    await expect.poll(() => page.getByTestId('connection-lost').count(), { timeout: LONG }).toBe(0);
    await expect(page.getByText('Cannot reach', { exact: false }).count()).resolves.toBe(0);
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
  });

  it('has no serious or critical accessibility violations on the list and incident pages; takes the screenshots', async () => {
    const inc = await createIncident({
      title: 'Payment API latency above 2s',
      severity: 'critical',
      source: 'alertmanager',
      tags: ['payments', 'latency'],
    });
    await ingest(inc.id, [
      { message: 'p99 latency above 2s on /checkout', level: 'warning', event_type: 'alert' },
      { message: 'connection refused: redis-cache-01:6379', level: 'error' },
    ]);
    const list = await openPage('/');
    await row(list, inc.id).waitFor();
    expect(await seriousViolations(list)).toEqual([]);
    await list.screenshot({ path: `${SCREENSHOTS}incident-list.png` });

    const page = await openPage(`/incidents/${inc.id}`, { name: 'carol' });
    await page.locator('article[data-live="live"]').waitFor();
    await page.getByTestId('events').getByText('connection refused: redis-cache-01:6379').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    // The whole page: the events run across its width below analysis, actions, chat and timeline.
    await page.screenshot({ path: `${SCREENSHOTS}incident.png`, fullPage: true });

    const phone = await openPage('/', { width: 390, height: 844 });
    await row(phone, inc.id).waitFor();
    // Usable at phone width: nothing wider than the screen.
    await expect(phone.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(390);
    await phone.screenshot({ path: `${SCREENSHOTS}incident-list-phone.png` });
  });
});
