// The benchmark's own SQL runs as it should: every statement bench:schema compares, and the ceilings `npm run bench`
// measures against, once each on a migrated database. A statement that no longer fits its table (a column added to
// Warroom's insert, say) fails here instead of half-way through a 20-minute benchmark. No timing is checked.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertIncidentWithEntry } from '../../src/db/incidents.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { connectPostgres } from '../../src/db/postgres.js';
import { MinimalTable, pgCeiling, tableRows } from '../../bench/lib/ceiling.js';
import { SCHEMA_TABLES, schemaVariants } from '../../bench/lib/schema-variants.js';
import { batchRows } from '../../bench/lib/workload.js';
import { createScratchDatabase, DB_LABEL, POSTGRES_URL } from './harness.js';

let scratch: { url: string; drop(): Promise<void> };
let incidentId: string;

beforeAll(async () => {
  if (!POSTGRES_URL) throw new Error('no PostgreSQL to test on');
  scratch = await createScratchDatabase(POSTGRES_URL);
  const db = connectPostgres(scratch.url, { poolSize: 1 });
  try {
    await migrateToLatest(db);
    const { incident } = await insertIncidentWithEntry(db, {
      title: 'bench statements',
      description: '',
      severity: 'high',
      source: 'test',
      tags: [],
      metadata: {},
    });
    incidentId = incident.id;
  } finally {
    await db.destroy();
  }
});
afterAll(() => scratch.drop());

describe(`the benchmark's statements (${DB_LABEL})`, () => {
  it('bench:schema: each table is made and each compared statement writes its batch', async () => {
    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      for (const statement of SCHEMA_TABLES) await client.query(statement);
      const variants = Object.entries(schemaVariants(incidentId, 3));
      expect(variants.length).toBeGreaterThan(5);
      for (const [name, make] of variants) {
        const [text, params] = make();
        const result = await client.query(text, params);
        expect(result.rowCount, name).toBe(3);
      }
    } finally {
      await client.end();
    }
  });

  it("npm run bench: Warroom's statement, the VALUES form and both minimal tables write rows, and are cleaned up", async () => {
    const rows = batchRows(incidentId, 3);
    const before = await tableRows(scratch.url, 'events');
    expect(await pgCeiling(scratch.url, rows, 1, 0.05)).toBeGreaterThan(0);
    expect(await pgCeiling(scratch.url, rows, 1, 0.05, 'values')).toBeGreaterThan(0);
    expect(await tableRows(scratch.url, 'events')).toBeGreaterThan(before);
    for (const ids of ['random', 'v7'] as const) {
      const table = await MinimalTable.open(scratch.url, ids);
      try {
        expect(await table.ceiling(scratch.url, rows, 2, 0.05)).toBeGreaterThan(0);
        expect(await table.rows(scratch.url)).toBeGreaterThan(0);
      } finally {
        await table.drop();
      }
      await expect(tableRows(scratch.url, `bench_minimal_events_${ids}`)).rejects.toThrow(/does not exist/);
    }
  });
});
