// Incident creates arriving together are written by one statement (src/db/incident-insert-queue.ts): each caller
// still gets its own incident, a create the database refuses fails alone, and a database that is away fails them all
// as unavailable. Statements are told apart by the inserting transaction's id (xmin): one statement, one xmin.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateIncidentInput } from '../../schema/index.js';
import { isDatabaseUnavailable, sqlState } from '../../src/db/errors.js';
import {
  DEFAULT_INSERT_QUEUE_LIMITS,
  IncidentInsertQueue,
  type InsertQueueLimits,
} from '../../src/db/incident-insert-queue.js';
import type { InsertedIncident } from '../../src/db/incidents.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { connectPostgres } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/types.js';
import { createScratchDatabase, DB_LABEL, POSTGRES_URL, startTestServer, type ListeningTestServer } from './harness.js';

let scratch: { url: string; drop(): Promise<void> };
let db: Kysely<Database>;

const input = (title: string, over: Partial<CreateIncidentInput> = {}): CreateIncidentInput => ({
  title,
  description: `about ${title}`,
  severity: 'high',
  source: 'queue-test',
  tags: ['a', title],
  metadata: { title },
  ...over,
});

/** Inserts `titles` through a queue with `limits`, all handed to it in the same tick; settles every one. */
async function insertTogether(limits: Partial<InsertQueueLimits>, inputs: CreateIncidentInput[], on = db) {
  const queue = new IncidentInsertQueue(on, { ...DEFAULT_INSERT_QUEUE_LIMITS, ...limits });
  return Promise.allSettled(inputs.map((i) => queue.insert({ input: i, actor: `actor of ${i.title}` })));
}

/** How many statements wrote these incidents: distinct inserting transaction ids. */
async function statementsFor(ids: string[]): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(distinct xmin::text) as n from incidents where id = any(${ids}::uuid[])`.execute(db);
  return Number(rows[0]?.n);
}

const fulfilled = (results: PromiseSettledResult<InsertedIncident>[]): InsertedIncident[] =>
  results.map((r) => {
    if (r.status !== 'fulfilled') throw new Error(`a create failed: ${String(r.reason)}`);
    return r.value;
  });

beforeAll(async () => {
  if (!POSTGRES_URL) throw new Error('no PostgreSQL to test on');
  scratch = await createScratchDatabase(POSTGRES_URL);
  db = connectPostgres(scratch.url, { poolSize: 4 });
  await migrateToLatest(db);
});

afterAll(async () => {
  await db?.destroy();
  await scratch?.drop();
});

describe(`incident insert queue (${DB_LABEL})`, () => {
  it('writes creates that arrive while one runs with one statement, each answered with its own incident', async () => {
    const inputs = Array.from({ length: 20 }, (_, k) => input(`together ${k}`));
    const out = fulfilled(await insertTogether({ statements: 1, rows: 100 }, inputs));
    // The first goes at once, alone; the 19 that came while it ran go together.
    expect(await statementsFor(out.map((o) => o.incident.id))).toBe(2);
    out.forEach((o, k) => {
      expect(o.incident.title).toBe(`together ${k}`);
      expect(o.incident.description).toBe(`about together ${k}`);
      expect(o.incident.tags).toEqual(['a', `together ${k}`]);
      expect(o.incident.metadata).toEqual({ title: `together ${k}` });
      expect(o.incident.status).toBe('open');
      expect(o.entry.incident_id).toBe(o.incident.id);
      expect(o.entry.title).toBe('Incident created');
      expect(o.entry.actor).toBe(`actor of together ${k}`);
      expect(o.entry.description).toBe(`high incident "together ${k}" reported by queue-test`);
      expect(o.incident.updated_at.getTime()).toBe(o.incident.created_at.getTime());
    });
    expect(new Set(out.map((o) => o.incident.id)).size).toBe(20);
    // Creation times follow the order the creates arrived, within a statement too (the clock's resolution may tie
    // two: a microsecond on PostgreSQL, coarser on the embedded one).
    const times = out.map((o) => o.incident.created_at.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('sends at once while fewer than `statements` run: the boundary of the limit', async () => {
    const two = fulfilled(await insertTogether({ statements: 2, rows: 100 }, [input('b1'), input('b2')]));
    expect(await statementsFor(two.map((o) => o.incident.id))).toBe(2);
    const three = fulfilled(
      await insertTogether({ statements: 2, rows: 100 }, [input('c1'), input('c2'), input('c3')]),
    );
    expect(await statementsFor(three.map((o) => o.incident.id))).toBe(3);
    const four = fulfilled(
      await insertTogether({ statements: 2, rows: 100 }, [input('d1'), input('d2'), input('d3'), input('d4')]),
    );
    // Two go at once; the third and fourth wait together for the first to finish.
    expect(await statementsFor(four.map((o) => o.incident.id))).toBe(3);
  });

  it('puts at most `rows` incidents in one statement', async () => {
    const inputs = Array.from({ length: 12 }, (_, k) => input(`rows ${k}`));
    const out = fulfilled(await insertTogether({ statements: 1, rows: 5 }, inputs));
    // 1 at once, then 5, 5 and 1.
    expect(await statementsFor(out.map((o) => o.incident.id))).toBe(4);
    expect(out.map((o) => o.incident.title)).toEqual(inputs.map((i) => i.title));
  });

  it('fails only the create the database refuses; the others in its statement are written', async () => {
    const inputs = Array.from({ length: 8 }, (_, k) =>
      // Past validation only here: the severity check constraint refuses this one row (23514).
      k === 4 ? input('refused', { severity: 'bogus' as CreateIncidentInput['severity'] }) : input(`kept ${k}`),
    );
    const results = await insertTogether({ statements: 1, rows: 100 }, inputs);
    results.forEach((r, k) => {
      if (k === 4) {
        expect(r.status).toBe('rejected');
        if (r.status === 'rejected') expect(sqlState(r.reason)).toBe('23514');
      } else {
        expect(r.status).toBe('fulfilled');
        if (r.status === 'fulfilled') expect(r.value.incident.title).toBe(`kept ${k}`);
      }
    });
    const { rows } = await sql<{ title: string }>`
      select i.title from incidents i join timeline_entries t on t.incident_id = i.id
      where i.title = 'refused' or i.title like 'kept %'`.execute(db);
    expect(rows.map((r) => r.title).sort()).toEqual([
      'kept 0',
      'kept 1',
      'kept 2',
      'kept 3',
      'kept 5',
      'kept 6',
      'kept 7',
    ]);
  });

  it('fails every create as unavailable when the database is away, and keeps serving after', async () => {
    const away = connectPostgres('postgres://postgres@127.0.0.1:1/nowhere', { poolSize: 2 });
    try {
      const queue = new IncidentInsertQueue(away, { ...DEFAULT_INSERT_QUEUE_LIMITS, statements: 1 });
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map((k) => queue.insert({ input: input(`away ${k}`), actor: 'x' })),
      );
      for (const r of results) {
        expect(r.status).toBe('rejected');
        if (r.status === 'rejected') expect(isDatabaseUnavailable(r.reason)).toBe(true);
      }
      // The queue is not left stuck: it still sends (and fails) the next create.
      await expect(queue.insert({ input: input('away 5'), actor: 'x' })).rejects.toSatisfy(isDatabaseUnavailable);
    } finally {
      await away.destroy();
    }
  });
});

/**
 * A TCP proxy to the database that cuts the connection of the next `cuts` named statements (Warroom's, whose names
 * start with `warroom_`; the in-doubt lookup is unnamed and passes): 'after-commit' when PostgreSQL's
 * CommandComplete ('C', flushed with ReadyForQuery after the implicit transaction commits) comes back, so the
 * statement is written but its answer lost; 'before-send' when the client sends it, so nothing reaches the server.
 */
async function cuttingProxy(
  target: string,
): Promise<{ url: string; arm(mode: 'after-commit' | 'before-send', cuts: number): void; close(): Promise<void> }> {
  const to = new URL(target);
  let mode: 'after-commit' | 'before-send' = 'after-commit';
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(to.port || 5432), to.hostname);
    for (const sock of [client, upstream]) {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => undefined);
    }
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    let named = false;
    client.on('data', (d: Buffer) => {
      named = d.includes('warroom_');
      if (named && cuts > 0 && mode === 'before-send') {
        cuts--;
        cut();
        return;
      }
      upstream.write(d);
    });
    let pending = Buffer.alloc(0);
    upstream.on('data', (d: Buffer) => {
      if (!(named && cuts > 0 && mode === 'after-commit')) {
        client.write(d);
        return;
      }
      // Forward whole messages (a type byte and a length) up to the first CommandComplete, then cut.
      pending = Buffer.concat([pending, d]);
      let at = 0;
      while (pending.length - at >= 5) {
        const len = pending.readInt32BE(at + 1);
        if (pending.length - at < 1 + len) break;
        if (pending[at] === 0x43) {
          client.write(pending.subarray(0, at));
          cuts--;
          cut();
          return;
        }
        at += 1 + len;
      }
      client.write(pending.subarray(0, at));
      pending = pending.subarray(at);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    arm(m, n) {
      mode = m;
      cuts = n;
    },
    async close() {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * Runs `use` with a one-connection pool through a cutting proxy, armed (`mode`, `cuts`) once that connection is open,
 * so only the statements `use` sends can be cut.
 */
async function throughCuttingProxy(
  mode: 'after-commit' | 'before-send',
  cuts: number,
  use: (via: Kysely<Database>) => Promise<void>,
): Promise<void> {
  const proxy = await cuttingProxy(scratch.url);
  const via = connectPostgres(proxy.url, { poolSize: 1 });
  try {
    await sql`select 1`.execute(via);
    proxy.arm(mode, cuts);
    await use(via);
  } finally {
    await via.destroy();
    await proxy.close();
  }
}

describe(`incident insert queue: limits and lost answers (${DB_LABEL})`, () => {
  it('caps a statement by the size of its JSON: a large create goes alone', async () => {
    const big = { blob: 'x'.repeat(3000) };
    const inputs = [
      input('size 0'),
      input('size 1'),
      input('size 2'),
      input('size 3', { metadata: big }),
      input('size 4'),
    ];
    const out = fulfilled(await insertTogether({ statements: 1, chars: 2000 }, inputs));
    // 1 at once; then 1-2 (under 2,000 characters), 3 alone (over it by itself), 4.
    expect(await statementsFor(out.map((o) => o.incident.id))).toBe(4);
    expect(out[3]?.incident.metadata).toEqual(big);
  });

  it('fails a create that waited past maxWaitMs as unavailable, and sends the rest when the database answers', async () => {
    const locker = new pg.Client({ connectionString: scratch.url });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table incidents in share mode');
      const queue = new IncidentInsertQueue(db, { ...DEFAULT_INSERT_QUEUE_LIMITS, statements: 1, maxWaitMs: 100 });
      const first = queue.insert({ input: input('waited first'), actor: 'x' });
      const queued = [
        queue.insert({ input: input('waited long 1'), actor: 'x' }),
        queue.insert({ input: input('waited long 2'), actor: 'x' }),
      ];
      const settledQueued = Promise.allSettled(queued);
      await new Promise((r) => setTimeout(r, 250));
      const later = queue.insert({ input: input('waited later'), actor: 'x' });
      for (const r of await settledQueued) {
        expect(r.status).toBe('rejected');
        if (r.status === 'rejected') expect(isDatabaseUnavailable(r.reason)).toBe(true);
      }
      await locker.query('commit');
      expect((await first).incident.title).toBe('waited first');
      expect((await later).incident.title).toBe('waited later');
      const { rows } = await sql<{ title: string }>`
        select title from incidents where title like 'waited %' order by title`.execute(db);
      expect(rows.map((r) => r.title)).toEqual(['waited first', 'waited later']);
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.end();
    }
  });

  it('answers creates whose statement committed before the connection was lost as created, once each', async () => {
    await throughCuttingProxy('after-commit', 2, async (via) => {
      const inputs = Array.from({ length: 21 }, (_, k) => input(`in doubt ${k}`));
      const out = fulfilled(await insertTogether({ statements: 1 }, inputs, via));
      expect(out.map((o) => o.incident.title)).toEqual(inputs.map((i) => i.title));
      expect(out.every((o) => o.entry.incident_id === o.incident.id && o.entry.title === 'Incident created')).toBe(
        true,
      );
      const { rows } = await sql<{ n: string }>`
        select count(*) as n from incidents where title like 'in doubt %'`.execute(db);
      expect(Number(rows[0]?.n)).toBe(21);
    });
  });

  it('fails creates whose statement never reached the database as unavailable, writing none', async () => {
    await throughCuttingProxy('before-send', 1, async (via) => {
      const results = await insertTogether({ statements: 1 }, [input('never sent')], via);
      expect(results[0]?.status).toBe('rejected');
      if (results[0]?.status === 'rejected') expect(isDatabaseUnavailable(results[0].reason)).toBe(true);
      const { rows } = await sql<{ n: string }>`select count(*) as n from incidents where title = 'never sent'`.execute(
        db,
      );
      expect(Number(rows[0]?.n)).toBe(0);
    });
  });
});

describe(`concurrent creates over HTTP (${DB_LABEL})`, () => {
  let s: ListeningTestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('answers each of 60 simultaneous creates with its own incident, each with its created entry', async () => {
    const titles = Array.from({ length: 60 }, (_, k) => `simultaneous ${k}`);
    const responses = await Promise.all(
      titles.map((title) => s.api('/api/incidents/', { json: { title, source: 'burst', tags: [title] } })),
    );
    const bodies = await Promise.all(
      responses.map(async (r) => {
        expect(r.status).toBe(201);
        return (await r.json()) as { id: string; title: string; tags: string[] };
      }),
    );
    bodies.forEach((b, k) => {
      expect(b.title).toBe(titles[k]);
      expect(b.tags).toEqual([titles[k]]);
    });
    expect(new Set(bodies.map((b) => b.id)).size).toBe(60);
    for (const b of bodies.slice(0, 5)) {
      const timeline = (await (await s.api(`/api/incidents/${b.id}/timeline`)).json()) as Array<{ title: string }>;
      expect(timeline.map((e) => e.title)).toEqual(['Incident created']);
    }
    const list = (await (await s.api('/api/incidents/?source=burst&limit=100')).json()) as Array<{ id: string }>;
    expect(new Set(list.map((i) => i.id))).toEqual(new Set(bodies.map((b) => b.id)));
  });
});
