// Named (server-side prepared) statements: the registered hot statements run by name, everything else as given; a
// statement gone stale (a migration changed a table it reads, a pooler or DEALLOCATE dropped it) runs again unnamed
// outside a transaction, fails a transaction as "unavailable" (503), and its connection is replaced.
import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, sqlState as sqlStateOf } from '../../src/db/errors.js';
import { findIncident } from '../../src/db/incidents.js';
import { nameStatement, statementName } from '../../src/db/named-statements.js';
import { connectPostgres } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/types.js';
import { DB_LABEL, migratedScratchWithIncident, startTestApp, type TestServer } from './harness.js';

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
  ({ scratch, incidentId } = await migratedScratchWithIncident('Checkout returning 502s'));
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

  it('answers through a migration that adds a column: the statement runs again unnamed, the connection is replaced', async () => {
    const db = connectPostgres(scratch.url, { poolSize: 1 });
    try {
      // Six runs: from the sixth PostgreSQL may use its generic plan; staleness is caught either way.
      for (let i = 0; i < 6; i++) expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
      const before = await backendPid(db);
      // A newer instance's migration adds a column to a table `select *` reads (0A000 for the old statement).
      await elsewhere('alter table incidents add column named_statement_probe integer');
      try {
        const row = await findIncident(db, incidentId);
        expect(row?.id).toBe(incidentId);
        expect(row).toHaveProperty('named_statement_probe', null);
        // That connection was retired; the next one prepares afresh.
        expect(await backendPid(db)).not.toBe(before);
        expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
      } finally {
        await elsewhere('alter table incidents drop column named_statement_probe');
      }
    } finally {
      await db.destroy();
    }
  });

  it('answers through a migration that changes a column type (a class 42 error for the old statement)', async () => {
    // A named insert whose parameters PostgreSQL typed from the columns when it parsed them (as prepare() statements'
    // are). One session ran it six times; another only once, and that run failed after the statement was parsed (a
    // NUL character: 22021), so the session holds it without ever having run it to the end.
    // api_keys.scopes, a text[] no trigger or index names (incidents.tags is named by the tag table's triggers, and
    // PostgreSQL will not change the type of a column a trigger names). Empty scopes: `{}` is both an empty array and
    // an empty JSON object, so the statement run again unnamed stores it whatever the column's type.
    const insertUntyped = 'insert into api_keys (name, prefix, hash, scopes) values ($1, $1, $2, $3) returning hash';
    nameStatement(insertUntyped);
    const insert = async (db: Kysely<Database>, hash: string): Promise<string | undefined> =>
      (await db.executeQuery<{ hash: string }>(CompiledQuery.raw(insertUntyped, [`k-${randomUUID()}`, hash, []])))
        .rows[0]?.hash;
    const ran = connectPostgres(scratch.url, { poolSize: 1 });
    const failed = connectPostgres(scratch.url, { poolSize: 1 });
    try {
      for (let i = 0; i < 6; i++) await insert(ran, 't');
      expect(sqlStateOf(await rejection(insert(failed, 'a\u0000b')))).toBe('22021');
      // The statement was parsed with its scopes parameter as text[]; the column is now jsonb, which text[] has no
      // assignment cast to (42804, raised before the result type is compared).
      await elsewhere('alter table api_keys alter column scopes type jsonb using to_jsonb(scopes)');
      try {
        for (const db of [ran, failed]) {
          expect(await insert(db, 't')).toBe('t');
          expect(await insert(db, 't')).toBe('t');
        }
      } finally {
        // Back (a JSON array of strings as an array literal; this file's keys have plain scopes).
        await elsewhere(
          `alter table api_keys alter column scopes type text[] using translate(scopes::text, '[]', '{}')::text[]`,
        );
      }
    } finally {
      await ran.destroy();
      await failed.destroy();
    }
  });

  it('gives the caller a genuine error of a named statement, and retires a connection pg failed on', async () => {
    const db = connectPostgres(scratch.url, { poolSize: 1 });
    try {
      // A statement that is simply wrong (no such table): the caller gets its error, and the connection stays.
      const wrong = 'select * from named_statement_no_such_table where id = $1';
      nameStatement(wrong);
      const kept = await backendPid(db);
      expect(sqlStateOf(await rejection(db.executeQuery(CompiledQuery.raw(wrong, [incidentId]))))).toBe('42P01');
      expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
      expect(await backendPid(db)).toBe(kept);
      // A value pg cannot serialise fails before anything is sent; pg then believes in a statement it closed, so the
      // connection is replaced and the next request works.
      const before = await backendPid(db);
      const circular = { toPostgres: (): unknown => circular };
      await rejection(findIncident(db, circular as unknown as string));
      expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
      expect(await backendPid(db)).not.toBe(before);
    } finally {
      await db.destroy();
    }
  });

  it('answers when the session lost its statements or holds another under the name (a pooler), then stops naming', async () => {
    // 26000: the session no longer has a statement the client prepared on it.
    // 42P05: a fresh client's session already has one of that name (another client's, behind a pooler).
    const cases = [
      { label: 'does not exist', before: undefined, after: (db: Kysely<Database>) => sql`deallocate all`.execute(db) },
      {
        label: 'already exists',
        before: (db: Kysely<Database>) => sql.raw(`prepare ${statementName(FIND_BY_ID) ?? ''} as select 1`).execute(db),
        after: undefined,
      },
    ];
    for (const { label, before, after } of cases) {
      const off: string[] = [];
      const db = connectPostgres(scratch.url, { poolSize: 1, onPreparedStatementsOff: (d) => off.push(d) });
      try {
        await before?.(db);
        expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
        await after?.(db);
        expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
        expect(off, label).toHaveLength(1);
        expect(off[0]).toContain(label);
        // Off for good in this pool: nothing is prepared any more, and it was said once.
        expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
        expect((await prepared(db)).size).toBe(0);
        expect(off).toHaveLength(1);
      } finally {
        await db.destroy();
      }
    }
  });

  it('fails a transaction whose statement went stale as "unavailable" (503), and replaces the connection', async () => {
    const db = connectPostgres(scratch.url, { poolSize: 1 });
    try {
      expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
      await sql`deallocate all`.execute(db);
      const before = await backendPid(db);
      const err = await rejection(db.transaction().execute((tx) => findIncident(tx, incidentId)));
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect(await backendPid(db)).not.toBe(before);
      expect((await findIncident(db, incidentId))?.id).toBe(incidentId);
    } finally {
      await db.destroy();
    }
  });
});

describe(`named statements through the API (${DB_LABEL})`, () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestApp({ DB_POOL_SIZE: '4' });
  });
  afterAll(() => s?.stop());

  it('answers every request, reads and writes, while another instance migrates a table its statements read', async () => {
    const created = await s.api('/api/incidents/', { json: { title: 'stale', severity: 'low', source: 'test' } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    // Every pooled connection prepares the read (concurrent requests), and runs it past PostgreSQL's fifth run.
    for (let i = 0; i < 6; i++) {
      const statuses = await Promise.all(Array.from({ length: 4 }, () => s.api(`/api/incidents/${id}`)));
      expect(statuses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const writes = await Promise.all(
        Array.from({ length: 4 }, () =>
          s.api(`/api/incidents/${id}/severity`, { method: 'PATCH', json: { severity: 'low' } }),
        ),
      );
      expect(writes.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    }
    await sql`alter table incidents add column named_statement_probe integer`.execute(s.database.db);
    // The first read meets the stale statement (and runs again unnamed); every pooled connection is then replaced,
    // so writes in transactions (a locked read of the incident first) on the other three do not fail.
    expect((await s.api(`/api/incidents/${id}`)).status).toBe(200);
    const severities = ['high', 'medium', 'critical', 'low'];
    const writes = await Promise.all(
      severities.map((severity) => s.api(`/api/incidents/${id}/severity`, { method: 'PATCH', json: { severity } })),
    );
    expect(writes.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    for (let i = 0; i < 3; i++) {
      const statuses = await Promise.all(Array.from({ length: 4 }, () => s.api(`/api/incidents/${id}`)));
      expect(statuses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    }
  });
});
