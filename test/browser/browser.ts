// Helpers of the browser suite: Debian's Chromium driven by playwright-core (nothing downloads a browser), a real
// Warroom process per test file on a scratch database of the suite's PostgreSQL (embedded, or TEST_DATABASE_URL),
// the axe-core accessibility scan injected from node_modules, and the README's screenshots.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BIN, spawnWarroom, type WarroomProcess } from '../e2e/process.js';
import { POSTGRES_URL, createScratchDatabase } from '../integration/harness.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Why the suite is skipped, when it is: only a missing Chromium (CI installs it; see .ci/run). */
export const SKIP_REASON = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser tests`;
if (SKIP_REASON) process.stderr.write(`test/browser skipped: ${SKIP_REASON}\n`);

/** Generous: a loaded 2-core machine runs Chromium, the server and other test files at once. */
export const LONG = 30_000;

/** console/src/live/use-page-active.ts's HIDDEN_GRACE_MS, and a margin for a hidden tab's stream to be ended. */
export const RELEASED_AFTER_MS = 3_000 + 2_000;

/**
 * Says the tab is hidden or shown, as a browser does for a background tab: headless pages cannot really be hidden, so
 * document.visibilityState is set and a visibilitychange event dispatched.
 */
export function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  return page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { value: s, configurable: true });
    Object.defineProperty(document, 'hidden', { value: s === 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

/**
 * Waits until the incident list is live and holds the server's answer: its feed is open and the reload its opening
 * sends has landed. Until then a reload may still replace the rows (and drop a "Load older" in flight), so a test that
 * clicks "Load older" or counts rows waits for this first.
 */
export function listSettled(page: Page): Promise<void> {
  return page.locator('section[data-live="live"] ul[data-testid="incident-list"][aria-busy="false"]').waitFor();
}

/** Chromium as the machine notes say it runs here: headless, as root, with no background traffic. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A Warroom process on its own database, and how to stop it and drop that database. */
export interface ConsoleServer extends WarroomProcess {
  /** Stops the server and drops its database. */
  close(): Promise<void>;
}

/** The database a server of this suite uses: a scratch database on the suite's PostgreSQL, else its own DATA_DIR. */
export async function scratchDatabase(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (POSTGRES_URL) {
    const db = await createScratchDatabase(POSTGRES_URL);
    return { env: { DATABASE_URL: db.url }, drop: db.drop };
  }
  const dir = await mkdtemp(join(tmpdir(), 'warroom-browser-'));
  return { env: { DATABASE_URL: '', DATA_DIR: dir }, drop: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs `warroom keys create` on `env`'s database and returns the printed key. */
async function createKey(env: Record<string, string>, name: string, scopes: string): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'keys', 'create', '--name', name, '--scopes', scopes], {
    env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  const key = out.trim();
  if (code !== 0 || !key.startsWith('wr_')) throw new Error(`warroom keys create exited ${code}: ${out}`);
  return key;
}

/**
 * Starts `warroom serve` on a fresh database. `keys` are created first with the CLI, as an operator would before
 * starting it, and returned by name.
 */
export async function startConsoleServer(
  env: Record<string, string> = {},
  keys: Record<string, string> = {},
): Promise<{ server: ConsoleServer; keys: Record<string, string> }> {
  const db = await scratchDatabase();
  const made: Record<string, string> = {};
  for (const [name, scopes] of Object.entries(keys)) made[name] = await createKey(db.env, name, scopes);
  const w = await spawnWarroom({ ...db.env, LOG_LEVEL: 'info', ANALYSIS_DEBOUNCE_MS: '500', ...env });
  return {
    keys: made,
    server: {
      ...w,
      async close() {
        await w.stop();
        await db.drop();
      },
    },
  };
}

/** Injects axe-core from node_modules into the page (no CDN) and returns its serious and critical violations. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Through the DevTools protocol, not a <script>: the page's CSP rightly forbids inline scripts.
  await page.evaluate(source);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  return found;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/**
 * Where the screenshots go: the README's (docs/screenshots/) with UPDATE_SCREENSHOTS=1, else a temporary directory,
 * so an ordinary test run still takes them but leaves the working tree as it was.
 */
export const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? new URL('../../docs/screenshots/', import.meta.url).pathname
    : `${mkdtempSync(join(tmpdir(), 'warroom-screenshots-'))}/`;
