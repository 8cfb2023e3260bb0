// A release started on a database a newer release has migrated refuses with one line saying so (it printed Kysely's
// "corrupted migrations" with a stack trace), and leaves the database as it is.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import type { Database } from '../../src/db/types.js';
import { DB_LABEL, POSTGRES_URL, scratchKysely } from './harness.js';

const suite = POSTGRES_URL ? describe : describe.skip;

suite(`a database from a newer release (${DB_LABEL})`, () => {
  let scratch: Awaited<ReturnType<typeof scratchKysely>>;
  let db: Kysely<Database>;

  beforeAll(async () => {
    if (!POSTGRES_URL) return;
    scratch = await scratchKysely(POSTGRES_URL, 1);
    db = scratch.db;
  });

  afterAll(() => scratch?.close());

  it('is refused as a ConfigError naming the migration this release does not have', async () => {
    await migrateToLatest(db);
    await sql`insert into kysely_migration (name, timestamp) values ('2099-01-01T0000_from_the_future', now())`.execute(
      db,
    );
    const err = await migrateToLatest(db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      'this database was migrated by a newer release of Warroom (it has run migration 2099-01-01T0000_from_the_future, ' +
        'which this release does not have): run that release or a later one',
    );
  });
});
