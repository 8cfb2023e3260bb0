// Start-up waits for a database that is not reachable yet (DB_STARTUP_WAIT_MS), as a compose file or a pod that
// starts Warroom beside its PostgreSQL needs; what an operator must fix fails at once.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { createScratchDatabase, DB_LABEL, POSTGRES_URL, startTestServer } from './harness.js';
import { captureLogs } from './log-capture.js';

let scratch: { url: string; drop(): Promise<void> };
beforeAll(async () => {
  if (!POSTGRES_URL) throw new Error('no PostgreSQL to test on');
  scratch = await createScratchDatabase(POSTGRES_URL);
});
afterAll(() => scratch.drop());

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/** Listens on `port` and pipes every connection to `target`: the database "coming up" on that port. */
async function forward(port: number, target: URL): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return server;
}

/** The scratch database's URL, reached through 127.0.0.1:`port`. */
function through(port: number): string {
  const url = new URL(scratch.url);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.href;
}

describe(`start-up against a database that is not up yet (${DB_LABEL})`, () => {
  it('keeps trying a refused connection, saying so, and starts once the database answers', async () => {
    const port = await freePort();
    const { logger, lines } = captureLogs('warn');
    const starting = startTestServer({ DB_STARTUP_WAIT_MS: '30000' }, { databaseUrl: through(port), logger });
    const waits = () => lines.filter((l) => String(l.msg).startsWith('the database is not reachable yet'));
    await expect.poll(() => waits().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(String(waits()[0]?.msg)).toContain('ECONNREFUSED');
    const proxy = await forward(port, new URL(scratch.url));
    try {
      const s = await starting;
      try {
        expect((await s.api('/health')).status).toBe(200);
        expect((await s.api('/api/incidents/', { json: { title: 'after the wait' } })).status).toBe(201);
      } finally {
        await s.close(1000);
      }
    } finally {
      proxy.close();
      proxy.unref();
    }
  });

  it('gives up once DB_STARTUP_WAIT_MS is spent, with the last error, and at once with 0', async () => {
    const port = await freePort();
    let started = performance.now();
    const gaveUp = await startTestServer({ DB_STARTUP_WAIT_MS: '1600' }, { databaseUrl: through(port) }).catch(
      (err: unknown) => err,
    );
    const waited = performance.now() - started;
    expect(gaveUp).toBeInstanceOf(ConfigError);
    expect(String(gaveUp)).toMatch(/cannot prepare the database \(DATABASE_URL\): .*ECONNREFUSED/);
    // Attempts at 0, 0.5 and 1.5 s; the next pause (2 s) would pass 1.6 s.
    expect(waited).toBeGreaterThanOrEqual(1400);
    expect(waited).toBeLessThan(5000);

    started = performance.now();
    const atOnce = await startTestServer({ DB_STARTUP_WAIT_MS: '0' }, { databaseUrl: through(port) }).catch(
      (err: unknown) => err,
    );
    expect(atOnce).toBeInstanceOf(ConfigError);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('does not wait for what only an operator can fix: a database that does not exist', async () => {
    const { logger, lines } = captureLogs('warn');
    const started = performance.now();
    const url = new URL(POSTGRES_URL ?? '');
    url.pathname = '/warroom_no_such_database';
    const refused = await startTestServer({ DB_STARTUP_WAIT_MS: '30000' }, { databaseUrl: url.href, logger }).catch(
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect(String(refused)).toContain('warroom_no_such_database');
    expect(performance.now() - started).toBeLessThan(3000);
    expect(lines.filter((l) => String(l.msg).startsWith('the database is not reachable yet'))).toEqual([]);
  });
});
