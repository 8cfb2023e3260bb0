// An incident's timeline in pages: room chat alone can write 20 entries a second per socket, and the endpoint used to
// return every entry in one response (200,000 entries: 1.5 s and 58 MB, docs/performance.md). A response now holds at
// most TIMELINE_PAGE_MAX entries, oldest first, and an RFC 8288 Link rel="next" continues; following it visits every
// entry once. Timelines of up to TIMELINE_PAGE_MAX entries answer exactly as before.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMELINE_PAGE_MAX, TimelineEntry } from '../../schema/index.js';
import { DB_LABEL, createIncident, startTestApp, type TestServer } from './harness.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestApp();
});
afterAll(() => s.stop());

/** Writes `n` comment entries titled `note 1` … `note n` in one statement. */
async function addEntries(incidentId: string, n: number): Promise<void> {
  await sql`insert into timeline_entries (incident_id, entry_type, title, actor)
    select ${incidentId}::uuid, 'comment', 'note ' || g, 'ana' from generate_series(1, ${n}::int) g`.execute(
    s.database.db,
  );
}

/** Every entry of the incident's timeline as the database orders them (by seq): the ids a full walk must give. */
async function idsInOrder(incidentId: string): Promise<string[]> {
  const rows = await s.database.db
    .selectFrom('timeline_entries')
    .select('id')
    .where('incident_id', '=', incidentId)
    .orderBy('seq')
    .execute();
  return rows.map((r) => r.id);
}

interface Listed {
  items: TimelineEntry[];
  next: string | undefined;
}

async function page(path: string): Promise<Listed> {
  const res = await s.api(path);
  const body: unknown = await res.json();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  const link = res.headers.get('link');
  const next = link === null ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
  if (link !== null && next === undefined) throw new Error(`not an RFC 8288 next link: ${link}`);
  return { items: TimelineEntry.array().parse(body), next };
}

async function walk(first: string): Promise<TimelineEntry[][]> {
  const pages: TimelineEntry[][] = [];
  for (let path: string | undefined = first; path !== undefined;) {
    if (pages.length > 100) throw new Error('too many pages');
    const p = await page(path);
    pages.push(p.items);
    path = p.next;
  }
  return pages;
}

const cursorOf = (next: string | undefined): string => new URLSearchParams(next?.split('?')[1]).get('cursor') ?? '';

async function refusal(path: string): Promise<{ code: string; message: string; issues: { path: string }[] }> {
  const res = await s.api(path);
  expect(res.status, path).toBe(400);
  return (await res.json()) as { code: string; message: string; issues: { path: string }[] };
}

describe(`an incident's timeline in pages (${DB_LABEL})`, () => {
  it('the reported case: a timeline longer than a page answers its oldest page with a Link, and the walk visits all', async () => {
    const inc = await createIncident(s);
    await addEntries(inc.id, 2 * TIMELINE_PAGE_MAX + 5);
    const all = await idsInOrder(inc.id);
    const base = `/api/incidents/${inc.id}/timeline`;

    const first = await page(base);
    expect(first.items).toHaveLength(TIMELINE_PAGE_MAX);
    expect(first.items.map((e) => e.id)).toEqual(all.slice(0, TIMELINE_PAGE_MAX));
    expect(first.next).toMatch(new RegExp(`^${base}\\?cursor=[A-Za-z0-9_-]+$`));

    const pages = await walk(base);
    expect(pages.map((p) => p.length)).toEqual([
      TIMELINE_PAGE_MAX,
      TIMELINE_PAGE_MAX,
      all.length - 2 * TIMELINE_PAGE_MAX,
    ]);
    expect(pages.flat().map((e) => e.id)).toEqual(all);
  });

  it('answers a timeline of up to a page as before: every entry, no Link, even when exactly full', async () => {
    const inc = await createIncident(s);
    await addEntries(inc.id, 3);
    const all = await idsInOrder(inc.id);
    const whole = await page(`/api/incidents/${inc.id}/timeline`);
    expect(whole.items.map((e) => e.id)).toEqual(all);
    expect(whole.next).toBeUndefined();
    const exactly = await page(`/api/incidents/${inc.id}/timeline?limit=${all.length}`);
    expect(exactly.items).toHaveLength(all.length);
    expect(exactly.next).toBeUndefined();
  });

  it('pages by limit with every page size, the Link keeping limit and replacing the cursor', async () => {
    const inc = await createIncident(s);
    await addEntries(inc.id, 7);
    const all = await idsInOrder(inc.id);
    for (let limit = 1; limit <= all.length + 1; limit++) {
      const pages = await walk(`/api/incidents/${inc.id}/timeline?limit=${limit}`);
      expect(
        pages.flat().map((e) => e.id),
        `limit ${limit}`,
      ).toEqual(all);
      expect(pages.every((p) => p.length <= limit)).toBe(true);
    }
    const second = (await page(`/api/incidents/${inc.id}/timeline?limit=2`)).next ?? '';
    const third = (await page(second)).next ?? '';
    expect(third.match(/cursor=/g)).toHaveLength(1);
    expect(new URLSearchParams(third.split('?')[1]).get('limit')).toBe('2');
  });

  it('refuses a limit out of range, garbage, another list cursor and another incident timeline cursor', async () => {
    const a = await createIncident(s);
    const b = await createIncident(s);
    await addEntries(a.id, 3);
    await addEntries(b.id, 3);
    const base = `/api/incidents/${b.id}/timeline`;
    for (const limit of ['0', '-1', String(TIMELINE_PAGE_MAX + 1), 'ten', '1.5']) {
      expect((await refusal(`${base}?limit=${limit}`)).issues.map((i) => i.path)).toEqual(['limit']);
    }
    for (const bad of ['garbage!', 'Zm9v', '']) {
      const paths = (await refusal(`${base}?cursor=${encodeURIComponent(bad)}`)).issues.map((i) => i.path);
      expect(new Set(paths)).toEqual(new Set(['cursor']));
    }
    const timelineOfA = cursorOf((await page(`/api/incidents/${a.id}/timeline?limit=1`)).next);
    expect(timelineOfA).not.toBe('');
    expect((await refusal(`${base}?cursor=${timelineOfA}`)).message).toBe(
      `cursor is not a cursor this list issued: a cursor of another incident's timeline (${a.id})`,
    );
    // A timeline cursor is no event or incident cursor, and the other way round.
    expect((await refusal(`/api/ingest/events/${a.id}?cursor=${timelineOfA}`)).message).toMatch(
      /another list \(a timeline\)/,
    );
    expect((await refusal(`/api/incidents/?cursor=${timelineOfA}`)).message).toMatch(/another list \(a timeline\)/);
    const ingested = await s.api('/api/ingest/events/batch', {
      json: ['one', 'two'].map((message) => ({ incident_id: a.id, event_type: 'log', message })),
    });
    expect(ingested.status).toBe(201);
    const eventLink = (await s.api(`/api/ingest/events/${a.id}?limit=1`)).headers.get('link') ?? '';
    const eventCursor = cursorOf(/^<([^>]+)>/.exec(eventLink)?.[1]);
    expect(eventCursor).not.toBe('');
    expect((await refusal(`/api/incidents/${a.id}/timeline?cursor=${eventCursor}`)).message).toMatch(
      /another list \(events\)/,
    );
    // Its own incident still takes it, with the id in any case.
    expect((await page(`/api/incidents/${a.id.toUpperCase()}/timeline?cursor=${timelineOfA}`)).items).toHaveLength(
      (await idsInOrder(a.id)).length - 1,
    );
  });

  it('404s an unknown incident, with or without limit', async () => {
    const missing = '123e4567-e89b-12d3-a456-426614174000';
    expect((await s.api(`/api/incidents/${missing}/timeline`)).status).toBe(404);
    expect((await s.api(`/api/incidents/${missing}/timeline?limit=5`)).status).toBe(404);
  });
});

describe(`incidents.timelinePage over tRPC (${DB_LABEL})`, () => {
  it('gives the REST pages and their cursor, and newest first walks back to the oldest entry', async () => {
    const inc = await createIncident(s);
    await addEntries(inc.id, 5);
    const all = await idsInOrder(inc.id);
    const rest = await page(`/api/incidents/${inc.id}/timeline?limit=2`);
    const first = await s.trpc.incidents.timelinePage.query({ incident_id: inc.id, limit: 2 });
    expect(first.items).toEqual(rest.items);
    expect(first.next_cursor).toBe(cursorOf(rest.next));
    // incidents.timeline over tRPC is still the bare array.
    expect(await s.trpc.incidents.timeline.query({ incident_id: inc.id, limit: 2 })).toEqual(rest.items);

    const newest: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const p = await s.trpc.incidents.timelinePage.query({
        incident_id: inc.id,
        limit: 2,
        newest_first: true,
        ...(cursor ? { cursor } : {}),
      });
      newest.push(...p.items.map((e) => e.id));
      if (p.next_cursor === null) break;
      cursor = p.next_cursor;
    }
    expect(newest).toEqual([...all].reverse());
  });

  it('refuses a cursor of the other order (it handed back entries the client already had)', async () => {
    const inc = await createIncident(s);
    await addEntries(inc.id, 5);
    const newest = await s.trpc.incidents.timelinePage.query({ incident_id: inc.id, limit: 2, newest_first: true });
    const oldest = await s.trpc.incidents.timelinePage.query({ incident_id: inc.id, limit: 2 });
    expect(newest.next_cursor).not.toBeNull();
    expect(oldest.next_cursor).not.toBeNull();
    expect((await refusal(`/api/incidents/${inc.id}/timeline?cursor=${newest.next_cursor}`)).message).toBe(
      'cursor is not a cursor this list issued: a cursor of the timeline read newest first (tRPC incidents.timelinePage with newest_first)',
    );
    await expect(
      s.trpc.incidents.timelinePage.query({
        incident_id: inc.id,
        newest_first: true,
        cursor: oldest.next_cursor ?? '',
      }),
    ).rejects.toThrow(/read oldest first/);
  });
});
