// The silence list pages like the other lists: a new-user trial (2026-12-03) made 1,000 active silences, the most the
// server allows, and could list only 500 of them (the largest `limit`), so the ids it needed to end some were out of
// reach. `Link: <…>; rel="next"` (tRPC `next_cursor`) now reaches every silence of a list, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Silence } from '../../schema/index.js';
import { DB_LABEL, startTestServer, type ListeningTestServer } from './harness.js';

describe(`silence list paging (${DB_LABEL})`, () => {
  let s: ListeningTestServer;
  const made: Silence[] = [];
  beforeAll(async () => {
    s = await startTestServer();
    for (let i = 0; i < 7; i++) {
      const res = await s.api('/api/silences/', {
        json: {
          matchers: [{ name: 'service', value: `svc-${i}` }],
          ends_at: new Date(Date.now() + 3_600_000).toISOString(),
          comment: `paging ${i}`,
          created_by: 'tester',
        },
      });
      expect(res.status).toBe(201);
      made.push(Silence.parse(await res.json()));
    }
    // Three of them ended: the expired list holds those, the active list the other four.
    for (const x of made.slice(0, 3))
      expect((await s.api(`/api/silences/${x.id}`, { method: 'DELETE' })).status).toBe(200);
  }, 60_000);
  afterAll(() => s?.stop());

  /** Every page from `first` on, following rel="next"; each page's ids. */
  async function follow(first: string): Promise<string[][]> {
    const pages: string[][] = [];
    let path: string | undefined = first;
    while (path !== undefined) {
      if (pages.length > 20) throw new Error('too many pages');
      const res = await s.api(path);
      expect(res.status).toBe(200);
      pages.push(
        Silence.array()
          .parse(await res.json())
          .map((x) => x.id),
      );
      const link = res.headers.get('link');
      path = link === null ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
      if (link !== null) expect(path).toBeDefined();
    }
    return pages;
  }

  const newestFirst = (ids: string[]) => [...ids].reverse();

  it.each([
    ['', (all: Silence[]) => all],
    ['state=active&', (all: Silence[]) => all.slice(3)],
    ['state=expired&', (all: Silence[]) => all.slice(0, 3)],
  ])('follows Link rel="next" through every silence of ?%slimit=2, once, newest first', async (filter, of) => {
    const pages = await follow(`/api/silences/?${filter}limit=2`);
    expect(pages.slice(0, -1).every((p) => p.length === 2)).toBe(true);
    expect(pages.flat()).toEqual(newestFirst(of(made).map((x) => x.id)));
  });

  it('gives tRPC clients the same pages with next_cursor', async () => {
    const first = await s.trpc.silences.page.query({ limit: 4 });
    expect(first.items).toHaveLength(4);
    expect(first.next_cursor).not.toBeNull();
    const second = await s.trpc.silences.page.query({ limit: 4, cursor: first.next_cursor ?? '' });
    expect(second.next_cursor).toBeNull();
    expect([...first.items, ...second.items].map((x) => x.id)).toEqual(newestFirst(made.map((x) => x.id)));
  });

  it('refuses a cursor of another state, of another list, or damaged, with a 400 naming cursor', async () => {
    const res = await s.api('/api/silences/?state=active&limit=1');
    const next = /cursor=([^&>]+)/.exec(res.headers.get('link') ?? '')?.[1];
    expect(next).toBeDefined();
    const incidentsCursor = /cursor=([^&>]+)/.exec(
      (await s.api('/api/incidents/?limit=1', {})).headers.get('link') ?? '',
    )?.[1];
    for (const [query, says] of [
      [`state=expired&cursor=${next}`, 'another state filter'],
      [`cursor=${next}`, 'another state filter'],
      [
        `cursor=${incidentsCursor ?? 'eyJ2IjoxLCJrIjoiaSIsInQiOiIyMDI2LTExLTI5VDE2OjMzOjA2LjEyMzQ1NloiLCJpIjoiMTIzZTQ1NjctZTg5Yi0xMmQzLWE0NTYtNDI2NjE0MTc0MDAwIn0'}`,
        'another list (incidents)',
      ],
      ['cursor=bm90IGpzb24', 'damaged'],
    ] as const) {
      const refused = await s.api(`/api/silences/?${query}`);
      expect(refused.status, query).toBe(400);
      const body = (await refused.json()) as { message: string; issues?: Array<{ path: string }> };
      expect(body.message).toContain(says);
      expect(body.issues?.[0]?.path).toBe('cursor');
    }
  });
});
