// The tag filter of the incident list reads incident_tags, which triggers keep in step with incidents.tags
// (migrations/2026-12-01T1000_incident_tags.ts). Every way tags are written must show in the filter at once: creates
// one at a time and many in one statement, a tag an alert adds (flapping), a change of created_at, a deleted incident.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Incident } from '../../schema/index.js';
import { updateIncident } from '../../src/db/incidents.js';
import { DB_LABEL, createIncident, startTestApp, type TestServer } from './harness.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestApp();
});
afterAll(() => s.stop());

/** The ids `GET /api/incidents/?tag=…` lists (newest first), up to 500. */
async function tagged(tag: string, extra = ''): Promise<string[]> {
  const res = await s.api(`/api/incidents/?tag=${encodeURIComponent(tag)}&limit=500${extra}`);
  expect(res.status).toBe(200);
  return Incident.array()
    .parse(await res.json())
    .map((i) => i.id);
}

/** What incident_tags holds for one incident: its tags, sorted. */
async function rowsOf(incidentId: string): Promise<string[]> {
  const rows = await sql<{ tag: string }>`select tag from incident_tags where incident_id = ${incidentId}
    order by tag`.execute(s.database.db);
  return rows.rows.map((r) => r.tag);
}

const unique = (name: string): string => `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

describe(`the tag filter follows every write of tags (${DB_LABEL})`, () => {
  it('finds an incident by each of its tags once, repeated tags included, and not by a tag it lacks', async () => {
    const db = unique('db');
    const inc = await createIncident(s, { title: 'tagged', tags: [db, 'api', db, ` ${db} `] });
    expect(await tagged(db)).toEqual([inc.id]);
    expect(await rowsOf(inc.id)).toEqual(['api', db].sort());
    expect(await tagged(unique('nothing'))).toEqual([]);
    // The API keeps tags as a set before they are stored; SQL may not, and the trigger keeps each tag once.
    const raw = await sql<{ id: string }>`insert into incidents (title, severity, source, tags)
      values ('raw', 'high', 'sql', array[${db}, 'x', ${db}]) returning id`.execute(s.database.db);
    const rawId = raw.rows[0]?.id ?? '';
    expect(await rowsOf(rawId)).toEqual([db, 'x'].sort());
    expect(await tagged(db)).toEqual([rawId, inc.id]);
  });

  it('indexes creates that arrive together (one statement for many incidents), newest first', async () => {
    const tag = unique('burst');
    const made = await Promise.all(
      Array.from({ length: 25 }, (_, i) => createIncident(s, { title: `burst ${i}`, tags: [tag] })),
    );
    const listed = await tagged(tag);
    expect([...listed].sort()).toEqual(made.map((m) => m.id).sort());
    // The list's order is the incidents' own (created_at desc, id desc).
    const all = await s.database.db
      .selectFrom('incidents')
      .select('id')
      .where('id', 'in', listed)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    expect(listed).toEqual(all.map((r) => r.id));
  });

  it('follows a tag added and one removed after creation (an alert marking an incident flapping)', async () => {
    const before = unique('before');
    const inc = await createIncident(s, { title: 'changing', tags: [before, 'stays'] });
    await updateIncident(s.database.db, inc.id, { tags: ['stays', 'flapping'] });
    expect(await tagged(before)).toEqual([]);
    expect(await tagged('flapping')).toContain(inc.id);
    expect(await rowsOf(inc.id)).toEqual(['flapping', 'stays']);
    // An update that leaves tags alone leaves the rows alone.
    await updateIncident(s.database.db, inc.id, { title: 'renamed' });
    expect(await rowsOf(inc.id)).toEqual(['flapping', 'stays']);
    await updateIncident(s.database.db, inc.id, { tags: [] });
    expect(await rowsOf(inc.id)).toEqual([]);
  });

  it('keeps the order and the cursor right when created_at changes (an import setting it)', async () => {
    const tag = unique('moved');
    const older = await createIncident(s, { title: 'older', tags: [tag] });
    const newer = await createIncident(s, { title: 'newer', tags: [tag] });
    expect(await tagged(tag)).toEqual([newer.id, older.id]);
    await s.database.db
      .updateTable('incidents')
      .set({ created_at: sql<Date>`now() + interval '1 hour'` })
      .where('id', '=', older.id)
      .execute();
    expect(await tagged(tag)).toEqual([older.id, newer.id]);
    const rows = await sql<{
      n: string;
    }>`select count(*) as n from incident_tags where incident_id = ${older.id}`.execute(s.database.db);
    expect(Number(rows.rows[0]?.n)).toBe(1);
  });

  it('combines with the other filters and with offset', async () => {
    const tag = unique('combo');
    const high = await createIncident(s, { title: 'high', tags: [tag], severity: 'high' });
    const low = await createIncident(s, { title: 'low', tags: [tag], severity: 'low' });
    expect(await tagged(tag, '&severity=high')).toEqual([high.id]);
    expect(await tagged(tag, '&severity=low&status=open')).toEqual([low.id]);
    expect(await tagged(tag, '&status=resolved')).toEqual([]);
    expect(await tagged(tag, '&offset=1')).toEqual([high.id]);
  });

  it('forgets a deleted incident (Warroom deletes none; an operator may)', async () => {
    const tag = unique('gone');
    const inc = await createIncident(s, { title: 'gone', tags: [tag] });
    await s.database.db.deleteFrom('incidents').where('id', '=', inc.id).execute();
    expect(await rowsOf(inc.id)).toEqual([]);
    expect(await tagged(tag)).toEqual([]);
  });
});
