// Test harness: a real listening server on a fresh database per test file: PGlite in memory by default, or a
// throw-away database on the PostgreSQL named by TEST_DATABASE_URL / DATABASE_URL.
import { randomBytes } from 'node:crypto';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import pg from 'pg';
import type { Logger } from 'pino';
import { ConfigSchema, type Config } from '../src/config.js';
import type { AppRouter } from '../src/index.js';
import { startServer, type RunningServer } from '../src/server.js';
import { apiFor, type Api } from './http.js';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
export const DB_LABEL = POSTGRES_URL ? 'postgres' : 'pglite';

/** Creates an empty database on the server at `adminUrl`; returns its URL and a function that drops it. */
export async function createScratchDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `warroom_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestServer extends RunningServer {
  /** fetch against the server: `api('/api/incidents/')`. */
  api: Api;
  trpc: ReturnType<typeof createTRPCClient<AppRouter>>;
  stop(): Promise<void>;
}

export function testConfig(overrides: Partial<Record<keyof Config, string>> = {}): Config {
  return ConfigSchema.parse({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory', LOG_LEVEL: 'silent', VALIDATE_OUTPUT: 'true', ...overrides });
}

/** Starts a server; with `databaseUrl` it joins that database instead of making a fresh one (two instances, one DB). */
export async function startTestServer(
  overrides: Partial<Record<keyof Config, string>> = {},
  opts: { databaseUrl?: string; pingIntervalMs?: number; logger?: Logger } = {},
): Promise<TestServer> {
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl = opts.databaseUrl;
  if (!databaseUrl && POSTGRES_URL) {
    const scratch = await createScratchDatabase(POSTGRES_URL);
    databaseUrl = scratch.url;
    drop = scratch.drop;
  }
  const server = await startServer(testConfig({ ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...overrides }), {
    ...(opts.pingIntervalMs ? { pingIntervalMs: opts.pingIntervalMs } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const api = apiFor(server.url);
  const trpc = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${server.url}/trpc` })] });
  return {
    ...server,
    api,
    trpc,
    async stop() {
      await server.close(1000);
      await drop?.();
    },
  };
}

export const newIncident = {
  title: 'Database connection timeout',
  description: 'Users experiencing 502 errors',
  severity: 'high',
  source: 'datadog',
  tags: ['database', 'postgres'],
  metadata: {},
} as const;

export async function createIncident(s: TestServer, body: Record<string, unknown> = newIncident): Promise<{ id: string } & Record<string, unknown>> {
  const res = await s.api('/api/incidents/', { json: body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string } & Record<string, unknown>;
}
