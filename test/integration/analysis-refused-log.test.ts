// An analysis the database refuses in a way that lasts (the server's role lost its grants on events) is logged as an
// error, like a request refused so: the analysis thread used to report it across the thread boundary as "unavailable"
// with its message alone, so it was logged as the warning of a database briefly away, which an alert on error logs
// never sees.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DB_LABEL, POSTGRES_URL, createIncident, createScratchDatabase, startTestServer } from './harness.js';
import { captureLogs } from './log-capture.js';

async function waitFor<T>(find: () => T | undefined | Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await find();
    if (found !== undefined || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!POSTGRES_URL)(`an analysis refused by the database for good (${DB_LABEL})`, () => {
  it('is logged as an error, on the scheduled path and on POST /analyze, with its SQLSTATE', async () => {
    const adminUrl = POSTGRES_URL ?? '';
    const role = `warroom_analysis_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create role ${role} login`);
    const scratch = await createScratchDatabase(adminUrl);
    const { logger, lines } = captureLogs();
    const inDatabase = new pg.Client({ connectionString: scratch.url });
    let stop: (() => Promise<void>) | undefined;
    try {
      await admin.query(`alter database ${new URL(scratch.url).pathname.slice(1)} owner to ${role}`);
      const asRole = new URL(scratch.url);
      asRole.username = role;
      const t = await startTestServer(
        { ANALYSIS_DEBOUNCE_MS: '1500', LOG_LEVEL: 'warn' },
        { databaseUrl: asRole.toString(), logger },
      );
      stop = () => t.close();
      await inDatabase.connect();
      const id = (await createIncident(t)).id;
      const ingest = { incident_id: id, event_type: 'log', message: 'connection pool exhausted', level: 'error' };
      expect((await t.api('/api/ingest/events', { json: ingest })).status).toBe(201);
      // Within the debounce: the analysis this event scheduled runs after the grant is gone.
      await inDatabase.query(`revoke select on events from ${role}`);

      const scheduled = await waitFor(() => lines.find((l) => String(l.msg).startsWith('analysis failed')), 10_000);
      expect(scheduled, 'a log line for the failed scheduled analysis').toBeDefined();
      expect(scheduled).toMatchObject({ level: 50, incident_id: id });
      expect(String(scheduled?.msg)).toMatch(/until an operator acts/);

      const manual = await t.api(`/api/incidents/${id}/analyze`, { method: 'POST' });
      expect(manual.status).toBe(503);
      expect(manual.headers.get('retry-after')).toMatch(/^\d+$/);
      const body = JSON.stringify(await manual.json());
      expect(body).not.toMatch(/permission denied|events/);
      const refused = await waitFor(
        () => lines.find((l) => l.level === 50 && String(l.msg).startsWith('request refused')),
        2_000,
      );
      expect(refused, 'an error-level line for the refused POST /analyze').toBeDefined();
      expect(lines.filter((l) => l.level === 40 && /unavailable/.test(String(l.msg)))).toEqual([]);

      // A storm of them stays a line a second, not one each (a review counted 100 lines for 100 creates).
      const failedRuns = async (): Promise<number> => {
        const text = await (await t.api('/metrics')).text();
        const counts = [...text.matchAll(/^analysis_runs_total\{[^}]*outcome="error"[^}]*\} (\d+)/gm)];
        return counts.reduce((sum, m) => sum + Number(m[1]), 0);
      };
      const before = await failedRuns();
      const linesBefore = lines.filter((l) => String(l.msg).startsWith('analysis failed')).length;
      const started = Date.now();
      for (let i = 0; i < 30; i++) {
        const res = await t.api('/api/incidents/', {
          json: { title: `PostgreSQL connection pool exhausted ${i}`, description: 'too many connections' },
        });
        expect(res.status).toBe(201);
      }
      expect(await waitFor(async () => ((await failedRuns()) - before >= 30 ? true : undefined), 20_000)).toBe(true);
      const seconds = Math.ceil((Date.now() - started) / 1000) + 1;
      const storm = lines.filter((l) => String(l.msg).startsWith('analysis failed')).length - linesBefore;
      expect(storm).toBeLessThanOrEqual(seconds);
    } finally {
      await stop?.().catch(() => undefined);
      await inDatabase.end().catch(() => undefined);
      await scratch.drop();
      await admin.query(`drop role if exists ${role}`);
      await admin.end();
    }
  }, 60_000);
});
