// COPY ... FROM STDIN through Kysely. PostgreSQL's COPY is its bulk-load path: rows arrive as one stream of text
// lines, parsed by COPY's own input routine, with no statement to plan and no JSON to expand row by row. Into the
// events table it costs PostgreSQL about half the CPU of the json_to_recordset INSERT (docs/performance.md,
// 2026-12-02 "COPY"). Kysely sends SQL text and parameters only, and `pg` runs COPY through a Submittable that
// pg-copy-streams provides (https://github.com/brianc/node-pg-copy-streams, the library `pg`'s author keeps for it).
// So a COPY is registered here by its exact text, and the pool wrapper (./named-statements.ts) runs a registered
// text as a COPY whose one parameter is the data: callers go through Kysely like for any statement, and a COPY inside
// a Kysely transaction runs on that transaction's connection.
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { storableText } from '../../schema/text-rules.js';

const copyTexts = new Set<string>();

/**
 * Registers `sql` (a `copy <table> (<columns>) from stdin` statement, text format) to run as a COPY on pools made by
 * `namingPool`: executed there with one parameter, the data as COPY text (lines built with copyText below). Returns
 * `sql`. On any other Kysely pool the text reaches PostgreSQL as an ordinary statement with one parameter, which it
 * refuses (08P01, "bind message supplies 1 parameters, but prepared statement "" requires 0"); every pool Warroom
 * makes is a naming pool (src/db/postgres.ts).
 */
export function copyStatement(sql: string): string {
  copyTexts.add(sql);
  return sql;
}

/** Whether `sql` was registered by copyStatement. */
export const isCopyStatement = (sql: string): boolean => copyTexts.has(sql);

/**
 * Runs COPY `sql` on `client`, sending `data` (COPY text) as its input; resolves with the rows it wrote once
 * PostgreSQL has answered (CommandComplete), or rejects with PostgreSQL's error as soon as it arrives (pg's
 * DatabaseError, as for any query: the COPY wrote nothing; `pg` holds the client's next query until ReadyForQuery)
 * or the connection's. Data holding a NUL or an unpaired surrogate is refused before anything is sent, with
 * UnstorableCopyData: encoded as UTF-8 the surrogate would become U+FFFD and be stored without a word, where an
 * INSERT of the same text is refused.
 */
export async function runCopy(client: pg.ClientBase, sql: string, data: string): Promise<pg.QueryResult> {
  if (!storableText(data)) throw new UnstorableCopyData();
  const stream = client.query(copyFrom(sql));
  stream.end(data);
  await finished(stream);
  return { command: 'COPY', rowCount: stream.rowCount, rows: [], oid: 0, fields: [] };
}

/**
 * COPY data PostgreSQL cannot store as sent: a NUL, or half a surrogate pair. Carries SQLSTATE 22P05
 * (untranslatable_character) as `code`, the state an INSERT of such text gets, so callers treat both alike.
 */
export class UnstorableCopyData extends Error {
  readonly code = '22P05';
  constructor() {
    super('COPY data holds a NUL character or an unpaired surrogate, which PostgreSQL cannot store');
  }
}

/** Characters that COPY's text format gives a meaning to inside a field: escaped by copyText. */
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * `value` as one field of COPY's text format (https://www.postgresql.org/docs/15/sql-copy.html, "Text Format"):
 * a backslash, tab, newline or carriage return is written as its backslash escape, everything else as it is; null
 * (and undefined, as a missing key is to json_to_recordset) is `\N`. The caller joins fields with a tab and ends
 * each row with a newline. A NUL or an unpaired surrogate is refused by validation before any row is built
 * (schema/text-rules.ts), and again by runCopy for the data as a whole.
 */
export function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return COPY_SPECIAL.test(value) ? value.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c] ?? c) : value;
}
