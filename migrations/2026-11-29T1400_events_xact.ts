// Records which transaction wrote each event, so an incident can be tailed without missing events that commit late.
// `seq` alone cannot say that: it is taken when a row is inserted, not when it commits, so a batch that took seqs
// 1..500 and commits after another batch took and committed 501..1000 would be skipped by a reader that had already
// moved past 1000. Transaction ids (xid8, PostgreSQL 13+) let the reader wait instead: it returns only events of
// transactions older than every one still running (pg_snapshot_xmin), and every later commit sorts after them.
// Frozen in time: never import from src/.
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Nullable and without a default first, so adding it is instant however many events there are (a volatile
  // default on ADD COLUMN would rewrite the whole table under an exclusive lock); rows written before have NULL,
  // which readers take as 0: they were all committed before any transaction that has an id now.
  await db.schema.alterTable('events').addColumn('xact', 'bigint').execute();
  await db.schema
    .alterTable('events')
    .alterColumn('xact', (c) => c.setDefault(sql`(pg_current_xact_id()::text::bigint)`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').dropColumn('xact').execute();
}
