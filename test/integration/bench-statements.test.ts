// The benchmark's own SQL runs as it should: every statement bench:schema compares, and the ceilings `npm run bench`
// measures against, once each on a migrated database. A statement that no longer fits its table (a column added to
// Warroom's insert, say) fails here instead of half-way through a 20-minute benchmark. No timing is checked.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres } from '../../src/db/postgres.js';
import { MinimalTable, pgCeiling, tableRows } from '../../bench/lib/ceiling.js';
import { SCHEMA_TABLES, schemaVariants } from '../../bench/lib/schema-variants.js';
import { seedScale } from '../../bench/lib/seed.js';
import { batchRows } from '../../bench/lib/workload.js';
import { uuidV7Time } from '../../src/db/uuid-v7.js';
import { DB_LABEL, migratedScratchWithIncident } from './harness.js';

let scratch: { url: string; drop(): Promise<void> };
let incidentId: string;

beforeAll(async () => {
  ({ scratch, incidentId } = await migratedScratchWithIncident('bench statements'));
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

  it('the scale seed spreads incidents over past weeks, its events with v7 ids of their arrival', async () => {
    const db = connectPostgres(scratch.url, { poolSize: 1 });
    try {
      await seedScale(db, { incidents: 4, eventsPerIncident: 3, weeks: 3 });
      const events = await db
        .selectFrom('events')
        .innerJoin('incidents', 'incidents.id', 'events.incident_id')
        .select(['events.id', 'events.received_at'])
        .where('incidents.source', '=', 'seed')
        .execute();
      expect(events).toHaveLength(12);
      for (const e of events) {
        expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        // Milliseconds of the arrival (the driver may round its microseconds, the id truncates them).
        expect(Math.abs(uuidV7Time(e.id) - new Date(e.received_at).getTime())).toBeLessThanOrEqual(1);
      }
      expect(new Set(events.map((e) => e.id)).size).toBe(12);
    } finally {
      await db.destroy();
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
