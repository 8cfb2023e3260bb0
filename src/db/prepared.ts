// Hot queries compiled once and re-run with new parameters, through Kysely's public API: `compile()` once, then
// `executeQuery()` on whatever handle the caller passes (pool or transaction), so the driver, logging and result
// plugins see every run. Kysely otherwise rebuilds and recompiles the query tree on every call, the largest cost
// of a one-row read after the HTTP stack (docs/performance.md).
import { createQueryId, type Compilable, type CompiledQuery, type Kysely } from 'kysely';
import { nameStatement } from './named-statements.js';
import type { Database } from './types.js';

interface Compiled<Row> {
  query: CompiledQuery<Row>;
  /** For each parameter of the compiled query: the index of the argument it takes, or -1 for a constant. */
  slots: number[];
}

/**
 * `build` receives sentinel arguments; each compiled parameter equal to a sentinel is replaced by the matching
 * real argument at run time, every other parameter is kept as compiled. Sentinels must be distinct values that
 * the query would never hold as constants (an array sentinel is matched by identity). The SQL is compiled with the
 * first handle used: every Warroom database is PostgreSQL through `pg` (the embedded one too), compiled by Kysely's
 * PostgreSQL compiler, so it is the same text for all of them (test/integration/prepared.test.ts).
 */
export function prepare<Row, Args extends readonly unknown[]>(
  build: (db: Kysely<Database>, ...args: Args) => Compilable<Row>,
  sentinels: Args,
): (db: Kysely<Database>, ...args: Args) => Promise<Row[]> {
  let compiled: Compiled<Row> | undefined;
  return async (db, ...args) => {
    if (!compiled) {
      const query = build(db, ...sentinels).compile();
      compiled = { query, slots: query.parameters.map((p) => sentinels.indexOf(p)) };
      // Fixed text with a value-independent plan: PostgreSQL may parse and plan it once per connection.
      nameStatement(query.sql);
    }
    const { query, slots } = compiled;
    const parameters = slots.map((slot, i) => (slot >= 0 ? args[slot] : query.parameters[i]));
    return (await db.executeQuery<Row>({ ...query, parameters, queryId: createQueryId() })).rows;
  };
}
