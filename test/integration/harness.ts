// Test harness: Warroom on a fresh database per test file (a throw-away database on the suite's embedded PostgreSQL,
// test/embedded-database.ts, or on the PostgreSQL named by TEST_DATABASE_URL / DATABASE_URL), either in-process (startTestApp: requests go through
// app.request(), no socket) or as a real listening server (startTestServer: for WebSockets, SSE and node's streams).
import { randomBytes } from 'node:crypto';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../../src/db/types.js';
import { inject } from 'vitest';
import type { Logger } from 'pino';
import type { Scope } from '../../schema/index.js';
import { ConfigSchema, type Config } from '../../src/config.js';
import { insertIncidentWithEntry } from '../../src/db/incidents.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { connectPostgres } from '../../src/db/postgres.js';
import { createApiKey } from '../../src/domain/keys.js';
import type { AppRouter } from '../../src/index.js';
import { createWarroom, startServer, type StartOptions, type Warroom } from '../../src/server.js';
import { apiFor, type Api } from './http.js';

const SERVER_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;
/** The server each test file makes its databases on: the given PostgreSQL, or the suite's embedded one. */
export const POSTGRES_URL = SERVER_URL ?? (inject('embeddedDatabaseUrl') || undefined);
export const DB_LABEL = SERVER_URL ? 'postgres' : 'embedded';

/**
 * A scratch database on the suite's server, migrated, holding one incident titled `title` (made as the server makes
 * one, with its "Incident created" entry): for tests that talk to the database without a Warroom server.
 */
export async function migratedScratchWithIncident(
  title: string,
): Promise<{ scratch: { url: string; drop(): Promise<void> }; incidentId: string }> {
  if (!POSTGRES_URL) throw new Error('no PostgreSQL to test on');
  const scratch = await createScratchDatabase(POSTGRES_URL);
  const db = connectPostgres(scratch.url, { poolSize: 1 });
  try {
    await migrateToLatest(db);
    const { incident } = await insertIncidentWithEntry(db, {
      title,
      description: '',
      severity: 'high',
      source: 'test',
      tags: [],
      metadata: {},
    });
    return { scratch, incidentId: incident.id };
  } finally {
    await db.destroy();
  }
}

/**
 * An empty scratch database on the server at `adminUrl` with a Kysely of `max` connections on it, for tests that
 * drive the schema themselves (migrations, query plans); `close` destroys the pool and drops the database.
 */
export async function scratchKysely(
  adminUrl: string,
  max = 1,
): Promise<{ db: Kysely<Database>; url: string; close(): Promise<void> }> {
  const scratch = await createScratchDatabase(adminUrl);
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max }) }),
  });
  return {
    db,
    url: scratch.url,
    async close() {
      await db.destroy();
      await scratch.drop();
    },
  };
}

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

export interface TestServer extends Omit<Warroom, 'close'> {
  /** fetch against the server: `api('/api/incidents/')`. */
  api: Api;
  trpc: ReturnType<typeof createTRPCClient<AppRouter>>;
  stop(): Promise<void>;
}

/** A listening server: it also has a URL for sockets. */
export interface ListeningTestServer extends TestServer {
  url: string;
  port: number;
  /** The server's own graceful close (default grace 10 s), without dropping the database: `stop` does both. */
  close(graceMs?: number): Promise<void>;
}

type Overrides = Partial<Record<keyof Config, string>>;
interface HarnessOptions {
  /** Join this database instead of making a fresh one (two instances, one database). */
  databaseUrl?: string;
  pingIntervalMs?: number;
  logger?: Logger;
  presence?: StartOptions['presence'];
  readOnlyQuietMs?: number;
}

async function prepareDatabase(
  opts: HarnessOptions,
): Promise<{ databaseUrl: string | undefined; drop?: () => Promise<void> }> {
  if (opts.databaseUrl || !POSTGRES_URL) return { databaseUrl: opts.databaseUrl };
  const scratch = await createScratchDatabase(POSTGRES_URL);
  return { databaseUrl: scratch.url, drop: scratch.drop };
}

const startOptions = (opts: HarnessOptions) => ({
  ...(opts.pingIntervalMs ? { pingIntervalMs: opts.pingIntervalMs } : {}),
  ...(opts.logger ? { logger: opts.logger } : {}),
  ...(opts.presence ? { presence: opts.presence } : {}),
  ...(opts.readOnlyQuietMs ? { readOnlyQuietMs: opts.readOnlyQuietMs } : {}),
});

/** In-process: every request goes through `app.request()`, tRPC included; nothing listens. */
export async function startTestApp(overrides: Overrides = {}, opts: HarnessOptions = {}): Promise<TestServer> {
  const { databaseUrl, drop } = await prepareDatabase(opts);
  const warroom = await createWarroom(
    testConfig({ ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...overrides }),
    startOptions(opts),
  );
  const { app, close, ...parts } = warroom;
  const api: Api = apiFor('', (path, init) => Promise.resolve(app.app.request(path, init)));
  const inProcessFetch = (url: URL | RequestInfo, init?: RequestInit): Promise<Response> =>
    Promise.resolve(app.app.request(url instanceof URL ? url.href : url, init));
  const trpc = createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: 'http://warroom.test/trpc', fetch: inProcessFetch })],
  });
  return {
    ...parts,
    app,
    api,
    trpc,
    async stop() {
      await close();
      await drop?.();
    },
  };
}

export function testConfig(overrides: Overrides = {}): Config {
  return ConfigSchema.parse({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: 'memory',
    LOG_LEVEL: 'silent',
    VALIDATE_OUTPUT: 'true',
    ...overrides,
  });
}

/** A real listening server on 127.0.0.1 and a random port. */
export async function startTestServer(
  overrides: Overrides = {},
  opts: HarnessOptions = {},
): Promise<ListeningTestServer> {
  const { databaseUrl, drop } = await prepareDatabase(opts);
  const server = await startServer(
    testConfig({ ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...overrides }),
    startOptions(opts),
  );
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

export async function createIncident(
  s: TestServer,
  body: Record<string, unknown> = newIncident,
): Promise<{ id: string } & Record<string, unknown>> {
  const res = await s.api('/api/incidents/', { json: body });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string } & Record<string, unknown>;
}

/**
 * Creates an API key straight in the server's database (as `warroom keys create` does) and tells the server, so it
 * enforces keys from the next request; returns the secret.
 */
export async function createTestKey(
  s: Pick<TestServer, 'database' | 'auth'>,
  name: string,
  scopes: Scope[],
  expiresIn?: string,
): Promise<string> {
  const created = await createApiKey(s.database.db, { name, scopes, expires_in: expiresIn });
  s.auth.keysChanged();
  return created.key;
}

/** Authorization header for a key. */
export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
