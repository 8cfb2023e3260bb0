// Named (server-side prepared) statements: the registered hot statements run by name, everything else as given; a
// connection whose statements went stale (a migration changed a table they read, a pooler or DISCARD dropped them)
// fails its one request as "unavailable" (503) and is replaced, so the next request works.
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/errors.js';
import { findIncident, insertIncidentWithEntry } from '../../src/db/incidents.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { statementName } from '../../src/db/named-statements.js';
import { connectPostgres } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/types.js';
import { createScratchDatabase, DB_LABEL, POSTGRES_URL, startTestApp, type TestServer } from './harness.js';

const FIND_BY_ID = 'select * from "incidents" where "id" = $1';

let scratch: { url: string; drop(): Promise<void> };
let incidentId: string;

/** The statements this session has prepared, by name. */
async function prepared(db: Kysely<Database>): Promise<Map<string, string>> {
  const { rows } = await sql<{ name: string; statement: string }>`
    select name, statement from pg_prepared_statements`.execute(db);
  return new Map(rows.map((r) => [r.name, r.statement]));
}

const backendPid = async (db: Kysely<Database>): Promise<number | undefined> =>
  (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]?.pid;

/** Runs one statement on its own connection, as another instance would. */
async function elsewhere(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: scratch.url });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

beforeAll(async () => {
  if (!POSTGRES_URL) throw new Error('no PostgreSQL to test on');
  scratch = await createScratchDatabase(POSTGRES_URL);
  const db = connectPostgres(scratch.url, { poolSize: 1 });
  await migrateToLatest(db);
  const { incident } = await insertIncidentWithEntry(db, {
    title: 'Checkout returning 502s',
    description: '',
    severity: 'high',
    source: 'test',
    tags: [],
    metadata: {},
  });
  incidentId = incident.id;
  await db.destroy();
});
afterAll(() => scratch?.drop());

describe(`named statements (${DB_LABEL})`, () => {
  it('runs a registered statement by name and an unregistered one unnamed', async () => {
    const db = connectPostgres(scratch.url, { poolSize: 1 });
    try {
      expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
      await db.selectFrom('incidents').select('title').where('severity', '=', 'high').execute();
      const names = await prepared(db);
      const name = statementName(FIND_BY_ID);
      expect(name).toMatch(/^warroom_[0-9a-f]{16}$/);
      expect(names.get(name ?? '')).toBe(FIND_BY_ID);
      // Nothing else was prepared: the ad-hoc read ran unnamed.
      expect([...names.values()].some((s) => s.includes('"severity"'))).toBe(false);
    } finally {
      await db.destroy();
    }
  });

  it('prepares nothing with preparedStatements off (DB_PREPARED_STATEMENTS=off)', async () => {
    const db = connectPostgres(scratch.url, { poolSize: 1, preparedStatements: false });
    try {
      expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
      expect((await prepared(db)).size).toBe(0);
    } finally {
      await db.destroy();
    }
  });

  it('replaces a connection whose statement a migration made stale: one failure, "unavailable", then it works', async () => {
    const db = connectPostgres(scratch.url, { poolSize: 1 });
    try {
      // Five runs: from the sixth PostgreSQL may use the generic plan; the stale check holds either way.
      for (let i = 0; i < 6; i++) expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
      const before = await backendPid(db);
      // A newer instance's migration adds a column to a table `select *` reads.
      await elsewhere('alter table incidents add column named_statement_probe integer');
      try {
        const err = await rejection(findIncident(db, incidentId));
        expect((err as Error).message).toContain('cached plan must not change result type');
        expect(isDatabaseUnavailable(err)).toBe(true);
        // The next request gets a new connection, which prepares the statement afresh.
        expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
        expect(await backendPid(db)).not.toBe(before);
      } finally {
        await elsewhere('alter table incidents drop column named_statement_probe');
      }
    } finally {
      await db.destroy();
    }
  });

  it('replaces a connection that lost its statements (DISCARD ALL, a pooler in transaction mode)', async () => {
    const db = connectPostgres(scratch.url, { poolSize: 1 });
    try {
      expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
      await sql`deallocate all`.execute(db);
      const err = await rejection(findIncident(db, incidentId));
      expect((err as { code?: string }).code).toBe('26000');
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
      // And inside a transaction: the transaction fails whole, the connection is replaced.
      await sql`deallocate all`.execute(db);
      const inTx = await rejection(db.transaction().execute((tx) => findIncident(tx, incidentId)));
      expect(isDatabaseUnavailable(inTx)).toBe(true);
      expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
    } finally {
      await db.destroy();
    }
  });
});

describe(`named statements through the API (${DB_LABEL})`, () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestApp({ DB_POOL_SIZE: '1' });
  });
  afterAll(() => s?.stop());

  it('answers 503 with Retry-After once when a migration made a statement stale, then 200', async () => {
    const created = await s.api('/api/incidents/', { json: { title: 'stale', severity: 'low', source: 'test' } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    for (let i = 0; i < 6; i++) expect((await s.api(`/api/incidents/${id}`)).status).toBe(200);
    await sql`alter table incidents add column named_statement_probe integer`.execute(s.database.db);
    const stale = await s.api(`/api/incidents/${id}`);
    expect(stale.status).toBe(503);
    expect(stale.headers.get('retry-after')).toBeTruthy();
    expect(await stale.text()).not.toMatch(/cached plan|at .*\.ts/);
    expect((await s.api(`/api/incidents/${id}`)).status).toBe(200);
  });
});
