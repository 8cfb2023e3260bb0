// Paging that reaches everything (issue 14, part 4): the Link rel="next" cursor on the event and incident lists visits
// every row exactly once when sort keys tie, `after` tails an incident in arrival order (late and backdated events
// included), bad cursors are 400s naming the parameter, and the tRPC `page` procedures agree with REST.
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Event, Incident } from '../../schema/index.js';
import { insertEvents, newEventId } from '../../src/db/events.js';
import { DB_LABEL, POSTGRES_URL, createIncident, startTestApp, type TestServer } from './harness.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestApp();
});
afterAll(() => s.stop());

interface Listed<T> {
  status: number;
  items: T[];
  /** The rel="next" target, a path with its query, or undefined when there is no Link header. */
  next: string | undefined;
  link: string | null;
}

/** One GET of a list endpoint: its rows and the target of its `Link: <…>; rel="next"`. */
async function get<T>(path: string, parse: (v: unknown) => T[]): Promise<Listed<T>> {
  const res = await s.api(path);
  const link = res.headers.get('link');
  const body: unknown = await res.json();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  const next = link === null ? undefined : /^<([^>]+)>; rel="next"$/.exec(link)?.[1];
  if (link !== null && next === undefined) throw new Error(`not an RFC 8288 next link: ${link}`);
  return { status: res.status, items: parse(body), next, link };
}

const events = (path: string) => get(path, (v) => Event.array().parse(v));
const incidents = (path: string) => get(path, (v) => Incident.array().parse(v));

/** Follows rel="next" from `first` until a page has no Link; every page's rows, in order. */
async function follow<T>(first: string, fetchPage: (p: string) => Promise<Listed<T>>, maxPages = 200): Promise<T[][]> {
  const pages: T[][] = [];
  let path: string | undefined = first;
  while (path !== undefined) {
    if (pages.length >= maxPages) throw new Error('too many pages');
    const page = await fetchPage(path);
    pages.push(page.items);
    path = page.next;
  }
  return pages;
}

/**
 * Follows a tail's next links, as a poller would, until `count` events have come: on a PostgreSQL shared with other
 * work, a tail may hold events back while some transaction in the cluster is still running (never skip them).
 */
async function drain(first: string, count: number): Promise<{ items: Event[]; next: string; pages: Event[][] }> {
  const pages: Event[][] = [];
  let path = first;
  const deadline = Date.now() + 10_000;
  while (pages.flat().length < count) {
    if (Date.now() > deadline) throw new Error(`tail ${first} gave ${pages.flat().length} of ${count} events`);
    const page = await events(path);
    if (page.next === undefined) throw new Error('a tail page without a next link');
    if (page.items.length > 0) pages.push(page.items);
    else await new Promise((r) => setTimeout(r, 20));
    path = page.next;
  }
  return { items: pages.flat(), next: path, pages };
}

const ev = (incident_id: string, i: number, timestamp?: string) => ({
  incident_id,
  event_type: 'log',
  message: `event ${i}`,
  metadata: { i },
  ...(timestamp ? { timestamp } : {}),
});

async function ingest(batch: object[]): Promise<Event[]> {
  const res = await s.api('/api/ingest/events/batch', { json: batch });
  expect(res.status).toBe(201);
  return Event.array().parse(await res.json());
}

/**
 * Writes event 0 of `incidentId` (`message`, at `timestamp` or the transaction's start) in a transaction of its own,
 * runs `during` while that transaction is still open, then commits it.
 */
async function whileAnInsertIsOpen(
  incidentId: string,
  message: string,
  timestamp: string | undefined,
  during: () => Promise<void>,
): Promise<void> {
  const held = new pg.Client({ connectionString: s.database.url });
  await held.connect();
  try {
    await held.query('begin');
    await held.query(
      `insert into events (incident_id, event_type, message, level, source, metadata, "timestamp")
       values ($1, 'log', $2, 'info', 'test', '{"i": 0}', coalesce($3::timestamptz, now()))`,
      [incidentId, message, timestamp ?? null],
    );
    await during();
    await held.query('commit');
  } finally {
    await held.end();
  }
}

const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
const order = (rows: Event[]) => rows.map((e) => e.metadata.i);

describe(`paging the event list (${DB_LABEL})`, () => {
  it('the issue: 7 events of one batch share a timestamp; limit=3 and following next visits all 7 once, in order', async () => {
    const inc = await createIncident(s);
    const T = '2026-11-29T10:00:00.000Z';
    await ingest(Array.from({ length: 7 }, (_, i) => ev(inc.id, i, T)));
    const base = `/api/ingest/events/${inc.id}`;

    const first = await events(`${base}?limit=3`);
    expect(order(first.items)).toEqual([6, 5, 4]);
    // The documented `before` keeps its meaning: strictly older, so it cannot reach the tied rest. `next` can.
    expect((await events(`${base}?limit=3&before=${T}`)).items).toEqual([]);
    expect(first.next).toMatch(new RegExp(`^${base}\\?limit=3&cursor=[A-Za-z0-9_-]+$`));

    const pages = await follow(`${base}?limit=3`, events);
    expect(pages.map(order)).toEqual([[6, 5, 4], [3, 2, 1], [0]]);
  });

  it('boundary: many ties across page edges, mixed timestamps and several batches, every page size', async () => {
    const inc = await createIncident(s);
    const at = (m: number) => `2026-11-29T10:0${m}:00.000Z`;
    // Timestamps repeat within and across batches, and later batches land between and on earlier timestamps.
    const minutes = [3, 3, 3, 1, 1, 5, 3, 3, 1, 5, 5, 5, 2, 3, 3, 3, 3, 1, 4, 4];
    for (let b = 0; b < 3; b += 1) await ingest(minutes.map((m, j) => ev(inc.id, b * 100 + j, at((m + b) % 7))));
    const base = `/api/ingest/events/${inc.id}`;
    const all = (await events(`${base}?limit=1000`)).items;
    expect(all).toHaveLength(60);
    for (const limit of [1, 2, 3, 7, 19, 20, 59, 60, 61]) {
      const pages = await follow(`${base}?limit=${limit}`, events);
      expect(ids(pages.flat()), `limit=${limit}`).toEqual(ids(all));
      expect(pages.length, `limit=${limit}`).toBe(Math.ceil(60 / limit));
      for (const p of pages) expect(p.length).toBeGreaterThan(0);
    }
  });

  it('keeps before, since and limit, alone and combined with cursor, and the Link keeps them', async () => {
    const inc = await createIncident(s);
    const at = (m: number) => `2026-11-29T11:0${m}:00.000Z`;
    await ingest([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => ev(inc.id, i, at(Math.floor(i / 2)))));
    const base = `/api/ingest/events/${inc.id}`;
    expect(order((await events(`${base}?limit=3`)).items)).toEqual([9, 8, 7]);
    expect(order((await events(`${base}?before=${at(3)}`)).items)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(order((await events(`${base}?since=${at(3)}`)).items)).toEqual([9, 8, 7, 6]);

    const filtered = `${base}?since=${at(1)}&before=${at(4)}&limit=4`;
    const first = await events(filtered);
    expect(first.next).toContain(`since=${encodeURIComponent(at(1))}`);
    expect(first.next).toContain(`before=${encodeURIComponent(at(4))}`);
    expect((await follow(filtered, events)).map(order)).toEqual([
      [7, 6, 5, 4],
      [3, 2],
    ]);
  });

  it('has no Link on the last page, even when it is exactly full', async () => {
    const inc = await createIncident(s);
    await ingest(Array.from({ length: 4 }, (_, i) => ev(inc.id, i)));
    const base = `/api/ingest/events/${inc.id}`;
    expect((await events(`${base}?limit=4`)).link).toBeNull();
    expect((await events(`${base}?limit=5`)).link).toBeNull();
    const first = await events(`${base}?limit=2`);
    const second = await events(first.next ?? '');
    expect(second.items).toHaveLength(2);
    expect(second.link).toBeNull();
    const empty = await createIncident(s);
    expect(await events(`/api/ingest/events/${empty.id}`)).toMatchObject({ items: [], link: null });
  });

  it('replaces the cursor in the next link rather than adding a second one', async () => {
    const inc = await createIncident(s);
    await ingest(Array.from({ length: 5 }, (_, i) => ev(inc.id, i)));
    const first = await events(`/api/ingest/events/${inc.id}/?limit=2`);
    const second = await events(first.next ?? '');
    expect(second.next?.match(/cursor=/g)).toHaveLength(1);
    expect(second.next).not.toBe(first.next);
    expect(second.next?.startsWith(`/api/ingest/events/${inc.id}/?limit=2&cursor=`)).toBe(true);
  });
});

describe(`tailing an incident with after (${DB_LABEL})`, () => {
  it('sees a backdated event and one tying the last timestamp, ingested after the cursor, in arrival order', async () => {
    const inc = await createIncident(s);
    const base = `/api/ingest/events/${inc.id}`;
    const T = '2026-11-29T12:00:00.000Z';
    await ingest([ev(inc.id, 0, '2026-11-29T11:59:00.000Z'), ev(inc.id, 1, T), ev(inc.id, 2, T)]);

    // The tail from the start sees all three in arrival order; its next link is where to poll.
    const start = await drain(`${base}?after=start`, 3);
    expect(order(start.items)).toEqual([0, 1, 2]);
    expect(start.next).toMatch(new RegExp(`^${base}\\?after=[A-Za-z0-9_-]+$`));
    const caughtUp = await events(start.next);
    expect(caughtUp.items).toEqual([]);
    // Nothing new: the same position comes back, so a poller just keeps following next.
    expect(caughtUp.next).toBe(start.next);

    // Late arrivals: one backdated far before everything, one tying the newest timestamp. Newest-first paging by
    // timestamp would put them behind what the client has already read; the tail does not.
    await ingest([ev(inc.id, 3, '2026-01-01T00:00:00.000Z')]);
    await ingest([ev(inc.id, 4, T), ev(inc.id, 5, '2026-11-29T12:30:00.000Z')]);
    const late = await drain(caughtUp.next ?? '', 3);
    expect(order(late.items)).toEqual([3, 4, 5]);
    expect((await events(late.next ?? '')).items).toEqual([]);
  });

  it("records on every event the id of the transaction that wrote it (the tail's cutoff rests on it)", async () => {
    const inc = await createIncident(s);
    await ingest([ev(inc.id, 0), ev(inc.id, 1), ev(inc.id, 2)]);
    await ingest([ev(inc.id, 3)]);
    // Written inside a transaction of our own: its events carry that transaction's id, whatever statement wrote them.
    const own = await s.database.db.transaction().execute(async (tx) => {
      await insertEvents(tx, [
        {
          id: newEventId(),
          ...ev(inc.id, 4),
          level: 'info',
          source: 'test',
          metadata: {},
          timestamp: new Date().toISOString(),
        },
      ]);
      const r = await sql<{ x: string }>`select pg_current_xact_id()::text as x`.execute(tx);
      return r.rows[0]?.x;
    });
    const rows = await s.database.db
      .selectFrom('events')
      .select(['message', sql<string | null>`xact::text`.as('xact')])
      .where('incident_id', '=', inc.id)
      .execute();
    const xactOf = (i: number): string | null | undefined => rows.find((r) => r.message === `event ${i}`)?.xact;
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.xact !== null)).toBe(true);
    // One batch, one transaction; the next batch another, later one.
    expect(new Set([0, 1, 2].map(xactOf)).size).toBe(1);
    expect(BigInt(xactOf(3) ?? 0)).toBeGreaterThan(BigInt(xactOf(0) ?? 0));
    expect(xactOf(4)).toBe(own);
  });

  it('tails events written before the xact column existed (NULL) first, then the rest', async () => {
    const inc = await createIncident(s);
    const base = `/api/ingest/events/${inc.id}`;
    await ingest([ev(inc.id, 0), ev(inc.id, 1)]);
    // As after the migration on a database that already held events: the column is NULL for them.
    await s.database.db
      .updateTable('events')
      .set({ xact: null } as never)
      .where('incident_id', '=', inc.id)
      .execute();
    await ingest([ev(inc.id, 2)]);
    const tail = await drain(`${base}?after=start`, 3);
    expect(order(tail.items)).toEqual([0, 1, 2]);
  });

  it('pages a long tail by limit, and takes a cursor of the newest-first list', async () => {
    const inc = await createIncident(s);
    const base = `/api/ingest/events/${inc.id}`;
    // Arrival order is the reverse of timestamp order here.
    await ingest(Array.from({ length: 9 }, (_, i) => ev(inc.id, i, `2026-11-29T13:0${8 - i}:00.000Z`)));
    const tail = await drain(`${base}?after=start&limit=4`, 9);
    expect(order(tail.items)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    for (const page of tail.pages) expect(page.length).toBeLessThanOrEqual(4);
    expect(tail.next).toContain('limit=4');

    // A newest-first page's cursor names its last event (here event 6, the oldest timestamp on the page but the
    // seventh to arrive): the tail continues from its arrival.
    const newestFirst = await events(`${base}?limit=7`);
    expect(order(newestFirst.items)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const cursor = new URLSearchParams(newestFirst.next?.split('?')[1]).get('cursor') ?? '';
    expect(order((await drain(`${base}?after=${cursor}`, 2)).items)).toEqual([7, 8]);
  });

  // The race the tail's transaction cutoff exists for: a batch takes lower seqs but commits after a later one. A tail
  // that moved past the later batch would never see the earlier; it must wait for it instead.
  it.skipIf(!POSTGRES_URL)('waits for a transaction still writing instead of skipping its events', async () => {
    const inc = await createIncident(s);
    const base = `/api/ingest/events/${inc.id}`;
    let during: Listed<Event> | undefined;
    await whileAnInsertIsOpen(inc.id, 'written first, committed last', undefined, async () => {
      await ingest([ev(inc.id, 1)]);
      during = await events(`${base}?after=start`);
      expect(during.items).toEqual([]);
    });
    expect(order((await drain(during?.next ?? '', 2)).items)).toEqual([0, 1]);
  });
});

describe(`paging the incident list (${DB_LABEL})`, () => {
  /** Incidents tagged `tag` with the given created_at values (set directly: the API always stamps now()). */
  async function seed(tag: string, createdAt: string[]): Promise<void> {
    for (const [i, at] of createdAt.entries()) {
      const inc = await createIncident(s, { title: `${tag} ${i}`, tags: [tag] });
      await s.database.db
        .updateTable('incidents')
        .set({ created_at: sql<Date>`${at}::timestamptz` })
        .where('id', '=', inc.id)
        .execute();
    }
  }

  it('visits every incident once when created_at ties, microseconds apart included, with filters kept', async () => {
    const same = '2026-11-29T09:00:00.123456Z';
    // Ties, plus instants within one millisecond that a JS Date cannot tell apart.
    const stamps = [
      ...Array.from({ length: 7 }, () => same),
      '2026-11-29T09:00:00.123457Z',
      '2026-11-29T09:00:00.123455Z',
      '2026-11-29T09:00:00.123999Z',
      '2026-11-29T09:00:00.123000Z',
      '2026-11-29T08:00:00Z',
    ];
    await seed('paging-ties', stamps);
    await seed('paging-other', [same, same]);
    const all = (await incidents('/api/incidents/?tag=paging-ties&limit=500')).items;
    expect(all).toHaveLength(12);
    for (const limit of [1, 2, 3, 5, 11, 12, 13]) {
      const pages = await follow(`/api/incidents/?tag=paging-ties&limit=${limit}`, incidents);
      expect(ids(pages.flat()), `limit=${limit}`).toEqual(ids(all));
      expect(pages.length, `limit=${limit}`).toBe(Math.ceil(12 / limit));
    }
  });

  it('drops offset from the next link, since the cursor already says where the page starts', async () => {
    for (let i = 0; i < 4; i++) await createIncident(s, { title: `offset ${i}` });
    const first = await incidents('/api/incidents/?limit=2&offset=1');
    expect(first.next).toBeDefined();
    expect(first.next).not.toMatch(/[?&]offset=/);
    const second = await incidents(first.next ?? '');
    expect(second.items).toHaveLength(2);
  });

  it('keeps offset working alone', async () => {
    await seed('paging-offset', ['2026-11-29T07:00:00Z', '2026-11-29T07:00:01Z', '2026-11-29T07:00:02Z']);
    const all = (await incidents('/api/incidents/?tag=paging-offset')).items;
    const page = await incidents('/api/incidents/?tag=paging-offset&limit=1&offset=1');
    expect(ids(page.items)).toEqual([all[1]?.id]);
    // The next link continues after that row by cursor alone (an offset on top would skip rows, and is refused).
    expect(page.next).not.toMatch(/[?&]offset=/);
    expect(ids((await incidents(page.next ?? '')).items)).toEqual([all[2]?.id]);
  });
});

describe(`bad cursors and combinations are 400s naming the parameter (${DB_LABEL})`, () => {
  async function refusal(path: string): Promise<{ code: string; message: string; issues: { path: string }[] }> {
    const res = await s.api(path);
    expect(res.status, path).toBe(400);
    return (await res.json()) as { code: string; message: string; issues: { path: string }[] };
  }

  it('refuses garbage, a damaged cursor, the other list cursor and forbidden combinations', async () => {
    const inc = await createIncident(s);
    await ingest(Array.from({ length: 3 }, (_, i) => ev(inc.id, i)));
    await createIncident(s);
    const base = `/api/ingest/events/${inc.id}`;
    const eventCursor = new URLSearchParams((await events(`${base}?limit=1`)).next?.split('?')[1]).get('cursor') ?? '';
    const incidentCursor =
      new URLSearchParams((await incidents('/api/incidents/?limit=1')).next?.split('?')[1]).get('cursor') ?? '';
    expect(eventCursor).not.toBe('');
    expect(incidentCursor).not.toBe('');

    for (const bad of ['garbage!', 'Zm9v', eventCursor.slice(0, -3), `${eventCursor}AA`]) {
      const body = await refusal(`${base}?cursor=${encodeURIComponent(bad)}`);
      expect(body.code).toBe('BAD_REQUEST');
      expect(body.issues.map((i) => i.path)).toEqual(['cursor']);
    }
    expect((await refusal(`${base}?after=garbage`)).issues.map((i) => i.path)).toEqual(['after']);
    expect((await refusal(`${base}?cursor=${incidentCursor}`)).message).toMatch(/cursor .*another list/);
    expect((await refusal(`/api/incidents/?cursor=${eventCursor}`)).message).toMatch(/cursor .*another list/);
    expect((await refusal(`${base}?cursor=${eventCursor}&after=${eventCursor}`)).issues[0]?.path).toBe('cursor');
    expect((await refusal(`/api/incidents/?cursor=${incidentCursor}&offset=2`)).issues[0]?.path).toBe('cursor');
    expect((await refusal('/api/incidents/?cursor=')).issues[0]?.path).toBe('cursor');
  });

  it("refuses another incident's cursor, newest-first and tail alike (it used to page silently from the wrong place)", async () => {
    const a = await createIncident(s);
    const b = await createIncident(s);
    await ingest([
      ...Array.from({ length: 3 }, (_, i) => ev(a.id, i)),
      ...Array.from({ length: 3 }, (_, i) => ev(b.id, i)),
    ]);
    const cursorOfA =
      new URLSearchParams((await events(`/api/ingest/events/${a.id}?limit=1`)).next?.split('?')[1]).get('cursor') ?? '';
    const tailOfA = (await drain(`/api/ingest/events/${a.id}?after=start`, 3)).next;
    const afterOfA = new URLSearchParams(tailOfA.split('?')[1]).get('after') ?? '';
    expect(cursorOfA).not.toBe('');
    expect(afterOfA).not.toBe('');
    for (const [param, cursor] of [
      ['cursor', cursorOfA],
      ['after', afterOfA],
      ['after', cursorOfA],
    ] as const) {
      const body = await refusal(`/api/ingest/events/${b.id}?${param}=${cursor}`);
      expect(body.message).toBe(
        `${param} is not a cursor this list issued: a cursor of another incident's events (${a.id})`,
      );
      expect(body.issues.map((i) => i.path)).toEqual([param]);
    }
    // Its own incident still takes it, with the id in any case.
    expect((await events(`/api/ingest/events/${a.id.toUpperCase()}?cursor=${cursorOfA}`)).items).toHaveLength(2);
  });
});

describe(`tRPC page procedures (${DB_LABEL})`, () => {
  it('events.page and incidents.page return the REST rows and the cursor of the Link header', async () => {
    const inc = await createIncident(s, { title: 'trpc paging', tags: ['paging-trpc'] });
    await createIncident(s, { title: 'trpc paging 2', tags: ['paging-trpc'] });
    await ingest(Array.from({ length: 5 }, (_, i) => ev(inc.id, i, '2026-11-29T14:00:00.000Z')));
    const base = `/api/ingest/events/${inc.id}`;
    const cursorOf = (next: string | undefined) => new URLSearchParams(next?.split('?')[1]).get('cursor');

    const rest = await events(`${base}?limit=3`);
    const page = await s.trpc.events.page.query({ incident_id: inc.id, limit: 3 });
    expect(page.items).toEqual(rest.items);
    expect(page.next_cursor).toBe(cursorOf(rest.next));
    const last = await s.trpc.events.page.query({ incident_id: inc.id, limit: 3, cursor: page.next_cursor ?? '' });
    expect(last.items).toEqual((await events(rest.next ?? '')).items);
    expect(last.next_cursor).toBeNull();
    // events.list over tRPC is still the bare array.
    expect(await s.trpc.events.list.query({ incident_id: inc.id, limit: 3 })).toEqual(rest.items);

    const restIncidents = await incidents('/api/incidents/?tag=paging-trpc&limit=1');
    const incidentPage = await s.trpc.incidents.page.query({ tag: 'paging-trpc', limit: 1 });
    expect(incidentPage.items).toEqual(restIncidents.items);
    expect(incidentPage.next_cursor).toBe(cursorOf(restIncidents.next));
    let tail = await s.trpc.events.page.query({ incident_id: inc.id, after: 'start' });
    // A tail may wait for other transactions in the cluster (see drain).
    for (let tries = 0; tail.items.length === 0 && tries < 100; tries += 1) {
      await new Promise((r) => setTimeout(r, 20));
      tail = await s.trpc.events.page.query({ incident_id: inc.id, after: 'start' });
    }
    expect(tail.items.map((e) => e.metadata.i)).toEqual([0, 1, 2, 3, 4]);
    expect(tail.next_cursor).not.toBeNull();
  });
});

describe(`events.page tail_cursor: catching up after a read (${DB_LABEL})`, () => {
  /**
   * Polls a tRPC tail from `after` until `count` events not in `known` have come (a tail may wait on other
   * transactions); those, in the order the tail gave them.
   */
  async function tailOf(
    incident_id: string,
    after: string,
    count: number,
    since?: string,
    known: ReadonlySet<string> = new Set(),
  ): Promise<Event[]> {
    const got: Event[] = [];
    let position = after;
    const deadline = Date.now() + 10_000;
    while (got.length < count) {
      if (Date.now() > deadline) throw new Error(`tail gave ${got.length} of ${count} events`);
      const page = await s.trpc.events.page.query({ incident_id, after: position, ...(since ? { since } : {}) });
      got.push(...page.items.filter((e) => !known.has(e.id)));
      if (page.items.length === 0) await new Promise((r) => setTimeout(r, 20));
      position = page.next_cursor ?? position;
    }
    return got;
  }

  it('tails every event written after the page was read, a backdated one included', async () => {
    const inc = await createIncident(s);
    await ingest([ev(inc.id, 0, '2026-11-29T10:00:00.000Z'), ev(inc.id, 1, '2026-11-29T10:05:00.000Z')]);
    const page = await s.trpc.events.page.query({ incident_id: inc.id });
    expect(order(page.items)).toEqual([1, 0]);

    // An alert that started before the newest held event, delivered late; then a new one.
    await ingest([ev(inc.id, 2, '2026-11-29T10:02:00.000Z')]);
    await ingest([ev(inc.id, 3, '2026-11-29T10:10:00.000Z')]);
    // It may repeat held ones (a transaction elsewhere in the cluster still running when the page was read keeps the
    // position before them); what the page could not hold all comes, once, in the order written.
    const held = new Set(ids(page.items));
    const fresh = async (since?: string) => order(await tailOf(inc.id, page.tail_cursor, 2, since, held));
    expect(await fresh()).toEqual([2, 3]);
    // Within the held range only (from the oldest held event's time): the same two.
    expect(await fresh('2026-11-29T10:00:00.000Z')).toEqual([2, 3]);
    // The position is a tail cursor only: as a newest-first cursor it reads nothing.
    const asCursor = await s.trpc.events.page.query({ incident_id: inc.id, cursor: page.tail_cursor });
    expect(asCursor.items).toEqual([]);
  });

  it.skipIf(!POSTGRES_URL)(
    'tails an event whose transaction was still running when the page was read, which the page could not see',
    async () => {
      const inc = await createIncident(s);
      let tail = '';
      await whileAnInsertIsOpen(
        inc.id,
        'written before the read, committed after it',
        '2026-11-29T09:00:00Z',
        async () => {
          const page = await s.trpc.events.page.query({ incident_id: inc.id });
          expect(page.items).toEqual([]);
          tail = page.tail_cursor;
        },
      );
      expect(order(await tailOf(inc.id, tail, 1))).toEqual([0]);
    },
  );

  it.skipIf(!POSTGRES_URL)(
    'catch_up reads what is committed after the position without waiting for an older transaction still running',
    async () => {
      const inc = await createIncident(s);
      const page = await s.trpc.events.page.query({ incident_id: inc.id });
      let next = '';
      await whileAnInsertIsOpen(inc.id, 'written first, committed last', undefined, async () => {
        await ingest([ev(inc.id, 1)]);
        // A polling tail holds event 1 back behind the open transaction; a catch-up does not.
        const polled = await s.trpc.events.page.query({ incident_id: inc.id, after: page.tail_cursor });
        expect(polled.items).toEqual([]);
        const caught = await s.trpc.events.page.query({ incident_id: inc.id, after: page.tail_cursor, catch_up: true });
        expect(order(caught.items)).toEqual([1]);
        next = caught.tail_cursor;
      });
      // What the catch-up could not see is after the position it returned.
      expect(order(await tailOf(inc.id, next, 1, undefined, new Set()))).toContain(0);
      await expect(s.trpc.events.page.query({ incident_id: inc.id, catch_up: true })).rejects.toThrow(/catch_up/);
    },
  );

  it("refuses another incident's tail position, as it refuses its cursors", async () => {
    const [a, b] = [await createIncident(s), await createIncident(s)];
    const page = await s.trpc.events.page.query({ incident_id: a.id });
    await expect(s.trpc.events.page.query({ incident_id: b.id, after: page.tail_cursor })).rejects.toThrow(
      /another incident|after/,
    );
  });
});

describe(`events.page filters (${DB_LABEL})`, () => {
  it('level and event_type filter on the server, and the cursor pages through every matching event once', async () => {
    const inc = await createIncident(s, { title: 'filtered paging' });
    // 30 events on one timestamp (ties broken by arrival): every third an error, every fifth an alert.
    await ingest(
      Array.from({ length: 30 }, (_, i) => ({
        ...ev(inc.id, i, '2026-11-29T15:00:00.000Z'),
        level: i % 3 === 0 ? 'error' : 'info',
        event_type: i % 5 === 0 ? 'alert' : 'log',
      })),
    );
    const all = async (filter: { level?: 'error'; event_type?: 'alert' }): Promise<Event[][]> => {
      const pages: Event[][] = [];
      let cursor: string | undefined;
      do {
        const page = await s.trpc.events.page.query({ incident_id: inc.id, limit: 4, ...filter, cursor });
        pages.push(page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined && pages.length < 50);
      return pages;
    };
    const newestFirst = (keep: (i: number) => boolean) =>
      Array.from({ length: 30 }, (_, i) => 29 - i).filter((i) => keep(i));

    const errors = await all({ level: 'error' });
    // Full pages of matching events only: the filter is in the query, not applied to a page after it was read.
    expect(errors.map((p) => p.length)).toEqual([4, 4, 2]);
    expect(errors.flat().map((e) => e.metadata.i)).toEqual(newestFirst((i) => i % 3 === 0));
    expect(errors.flat().every((e) => e.level === 'error')).toBe(true);

    const alerts = await all({ event_type: 'alert' });
    expect(alerts.flat().map((e) => e.metadata.i)).toEqual(newestFirst((i) => i % 5 === 0));

    const both = await all({ level: 'error', event_type: 'alert' });
    expect(both.flat().map((e) => e.metadata.i)).toEqual([15, 0]);

    // An unknown level is refused, naming it.
    await expect(s.trpc.events.page.query({ incident_id: inc.id, level: 'loud' as 'error' })).rejects.toThrow(/level/);
  });

  it('leaves the REST list as documented: no level or event_type parameter', async () => {
    const doc = (await (await s.api('/openapi.json')).json()) as {
      paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }>;
    };
    const params = doc.paths['/ingest/events/{incident_id}']?.get?.parameters?.map((p) => p.name) ?? [];
    expect(params).toContain('cursor');
    expect(params).not.toContain('level');
    expect(params).not.toContain('event_type');
  });
});
