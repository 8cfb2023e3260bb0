// prepare(): a query compiled once runs again with each call's own arguments, constants kept, transactions apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepare } from '../../src/db/prepared.js';
import { DB_LABEL, startTestApp, type TestServer } from './harness.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestApp();
});
afterAll(() => s.stop());

const bySeverityAndSource = prepare(
  (db, severity: string, source: string) =>
    db
      .selectFrom('incidents')
      .select('title')
      .where('severity', '=', severity)
      .where('source', '=', source)
      .where('status', '=', 'open')
      .orderBy('title'),
  ['__severity__', '__source__'] as const,
);

describe(`prepared queries (${DB_LABEL})`, () => {
  it('binds each call’s arguments into the compiled SQL, in their places', async () => {
    const db = s.database.db;
    await db
      .insertInto('incidents')
      .values([
        { title: 'a', severity: 'high', source: 'x' },
        { title: 'b', severity: 'low', source: 'x' },
        { title: 'c', severity: 'high', source: 'y' },
        { title: 'd', severity: 'high', source: 'x', status: 'closed' },
      ])
      .execute();
    expect(await bySeverityAndSource(db, 'high', 'x')).toEqual([{ title: 'a' }]);
    expect(await bySeverityAndSource(db, 'low', 'x')).toEqual([{ title: 'b' }]);
    expect(await bySeverityAndSource(db, 'high', 'y')).toEqual([{ title: 'c' }]);
    // Inside a transaction (its own Kysely instance) it sees the transaction's own writes.
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('incidents').values({ title: 'e', severity: 'low', source: 'y' }).execute();
      expect(await bySeverityAndSource(tx, 'low', 'y')).toEqual([{ title: 'e' }]);
    });
  });
});
