// Hot queries compiled once per database handle and re-run with new parameters. Kysely rebuilds and recompiles a
// query tree on every call (~15 µs for a one-row select, the largest single cost left in GET /incidents/{id} after
// the HTTP stack; README "Performance"); the SQL for the same shape never changes, so only the parameters need to.
import { CompiledQuery, type Compilable, type DialectAdapter, type Kysely } from 'kysely';
import { poolOf } from './connect.js';
import type { Database } from './types.js';

interface Compiled {
  sql: string;
  /** For each parameter of the compiled query: the index of the argument it takes, or -1 for a constant. */
  slots: number[];
  constants: readonly unknown[];
}

/**
 * `build` receives sentinel arguments; each compiled parameter equal to a sentinel is replaced by the matching
 * real argument at run time, every other parameter is kept as compiled. Sentinels must be distinct values that
 * the query would never hold as constants (an array sentinel is matched by identity). The SQL depends only on the
 * dialect, so it is cached per dialect adapter, which a database handle shares with its transactions.
 */
export function prepare<Row, Args extends readonly unknown[]>(
  build: (db: Kysely<Database>, ...args: Args) => Compilable<Row>,
  sentinels: Args,
): (db: Kysely<Database>, ...args: Args) => Promise<Row[]> {
  const cache = new WeakMap<DialectAdapter, Compiled>();
  return async (db, ...args) => {
    const adapter = db.getExecutor().adapter;
    let c = cache.get(adapter);
    if (!c) {
      const q = build(db, ...sentinels).compile();
      c = { sql: q.sql, slots: q.parameters.map((p) => sentinels.indexOf(p)), constants: q.parameters };
      cache.set(adapter, c);
    }
    const { slots, constants } = c;
    const parameters = slots.map((slot, i) => (slot >= 0 ? args[slot] : constants[i]));
    // On a plain `pg` handle the query goes straight to the pool: Kysely's connection provider adds an acquire, a
    // release and four awaits around the same pool.query, ~5 µs of a GET's server CPU under `--cpu-prof` (README
    // "Performance"). No Kysely plugins are configured, so the rows are the same. Transactions and PGlite keep Kysely.
    const pool = poolOf(db);
    if (pool) return (await pool.query(c.sql, parameters)).rows as Row[];
    return (await db.executeQuery<Row>(CompiledQuery.raw(c.sql, parameters))).rows;
  };
}
