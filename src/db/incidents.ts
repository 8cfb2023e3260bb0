// Query functions for the incidents table. `db` first, so a transaction passes straight through.
import { sql, type Kysely, type Updateable } from 'kysely';
import type { CreateIncidentInput, ListIncidentsInput } from '../../schema/index.js';
import type { Database, IncidentRow, IncidentsTable } from './types.js';

export async function insertIncident(db: Kysely<Database>, input: CreateIncidentInput): Promise<IncidentRow> {
  return db
    .insertInto('incidents')
    .values({
      title: input.title,
      description: input.description,
      severity: input.severity,
      source: input.source,
      tags: input.tags,
      metadata: JSON.stringify(input.metadata),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findIncident(
  db: Kysely<Database>,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<IncidentRow | undefined> {
  let q = db.selectFrom('incidents').selectAll().where('id', '=', id);
  if (opts.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function listIncidents(db: Kysely<Database>, f: ListIncidentsInput): Promise<IncidentRow[]> {
  let q = db.selectFrom('incidents').selectAll();
  if (f.status) q = q.where('status', '=', f.status);
  if (f.severity) q = q.where('severity', '=', f.severity);
  if (f.source) q = q.where('source', '=', f.source);
  // `@>` lets the GIN index on tags answer the filter.
  // The array is built in SQL from a scalar parameter, so pg and PGlite bind it the same way.
  if (f.tag) q = q.where(sql<boolean>`tags @> array[${f.tag}]::text[]`);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).offset(f.offset).execute();
}

export async function updateIncident(
  db: Kysely<Database>,
  id: string,
  patch: Updateable<IncidentsTable>,
): Promise<IncidentRow> {
  return db
    .updateTable('incidents')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The ids among `ids` that name no incident. Locks the found rows (KEY SHARE) until the transaction ends. */
export async function missingIncidentIds(db: Kysely<Database>, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  const found = await db.selectFrom('incidents').select('id').where('id', 'in', unique).forKeyShare().execute();
  const have = new Set(found.map((r) => r.id));
  return unique.filter((id) => !have.has(id));
}
