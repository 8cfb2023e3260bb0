// The analysis reads the newest events whose messages fit its text budget (src/db/analysis.ts eventsForAnalysis):
// long messages mean fewer events, each still whole, instead of minutes of CPU for 10,000 of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANALYSIS_TEXT_BUDGET_BYTES, eventsForAnalysis } from '../../src/db/analysis.js';
import { DB_LABEL, createIncident, startTestApp, type TestServer } from './harness.js';

describe(`the analysis's text budget (${DB_LABEL})`, () => {
  let s: TestServer;
  let incident: { id: string; created_at: Date };
  beforeAll(async () => {
    s = await startTestApp();
    const { id } = await createIncident(s);
    // Five events a second apart, oldest first; each message 100 bytes of UTF-8 (a two-byte character among them).
    const events = [0, 1, 2, 3, 4].map((i) => ({
      incident_id: id,
      event_type: 'log',
      level: 'error',
      message: `é${String(i).repeat(98)}`,
      timestamp: new Date(Date.UTC(2026, 11, 2, 6, 0, i)).toISOString(),
    }));
    expect((await s.api('/api/ingest/events/batch', { json: events })).status).toBe(201);
    incident = await s.database.db
      .selectFrom('incidents')
      .select(['id', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  });
  afterAll(() => s.stop());

  const messagesRead = async (budget?: number): Promise<string[]> =>
    (await eventsForAnalysis(s.database.db, incident, budget)).map((e) => e.message.slice(1, 2));

  it('reads every event, oldest first, when their messages fit', async () => {
    expect(ANALYSIS_TEXT_BUDGET_BYTES).toBeGreaterThan(500);
    expect(await messagesRead()).toEqual(['0', '1', '2', '3', '4']);
  });

  it('reads the newest that fit, counting bytes, whole', async () => {
    expect(await messagesRead(300)).toEqual(['2', '3', '4']);
    expect(await messagesRead(299)).toEqual(['3', '4']);
    const read = await eventsForAnalysis(s.database.db, incident, 200);
    expect(read.map((e) => Buffer.byteLength(e.message))).toEqual([100, 100]);
    expect(Object.keys(read[0] ?? {})).not.toContain('text_through');
  });

  it('always reads the newest event, however long', async () => {
    expect(await messagesRead(1)).toEqual(['4']);
  });
});
