// incidents.onListUpdate: the live feed of every incident (the console's list), on one instance and across two
// instances sharing one PostgreSQL, where nobody is in the incident's room on the instance that watches.
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../schema/index.js';
import type { AppRouter } from '../../src/index.js';
import {
  DB_LABEL,
  POSTGRES_URL,
  createIncident,
  createScratchDatabase,
  startTestServer,
  type ListeningTestServer,
} from './harness.js';

function clientFor(url: string) {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: `${url}/trpc`, EventSource }),
        false: httpBatchLink({ url: `${url}/trpc` }),
      }),
    ],
  });
}

/** Subscribes to the feed of `url`; resolves once the stream is open, with what it has received so far. */
async function watchFeed(
  url: string,
): Promise<{ seen: Incident[]; until(p: (i: Incident) => boolean): Promise<Incident>; stop(): void }> {
  const seen: Incident[] = [];
  const waiters: Array<{ p: (i: Incident) => boolean; resolve: (i: Incident) => void }> = [];
  let started: () => void = () => undefined;
  const open = new Promise<void>((r) => (started = r));
  const sub = clientFor(url).incidents.onListUpdate.subscribe(undefined, {
    onStarted: () => started(),
    onData: (incident) => {
      seen.push(incident);
      for (const w of waiters.filter((w) => w.p(incident))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(incident);
      }
    },
  });
  await open;
  return {
    seen,
    until: (p) => {
      const hit = seen.find(p);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => waiters.push({ p, resolve }));
    },
    stop: () => sub.unsubscribe(),
  };
}

describe(`incidents.onListUpdate (${DB_LABEL})`, () => {
  let s: ListeningTestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s.stop());

  it('streams created incidents and their status changes, with nobody in their rooms', async () => {
    const feed = await watchFeed(s.url);
    const inc = await createIncident(s, { title: 'Feed: created', severity: 'low' });
    expect((await feed.until((i) => i.id === inc.id)).status).toBe('open');
    await s.trpc.incidents.updateStatus.mutate({ incident_id: inc.id, status: 'investigating' });
    await feed.until((i) => i.id === inc.id && i.status === 'investigating');
    feed.stop();
  });

  it('is refused without the read scope when keys are enforced', async () => {
    const locked = await startTestServer({ AUTH: 'required' });
    try {
      const error = await new Promise<unknown>((resolve) => {
        const sub = clientFor(locked.url).incidents.onListUpdate.subscribe(undefined, {
          onError: (err) => {
            sub.unsubscribe();
            resolve(err);
          },
        });
      });
      expect(String(error)).toMatch(/key/i);
    } finally {
      await locked.stop();
    }
  });
});

describe.skipIf(!POSTGRES_URL)('incidents.onListUpdate across instances (postgres)', () => {
  let a: ListeningTestServer;
  let b: ListeningTestServer;
  let drop: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    const scratch = await createScratchDatabase(POSTGRES_URL ?? '');
    drop = scratch.drop;
    a = await startTestServer({}, { databaseUrl: scratch.url });
    b = await startTestServer({}, { databaseUrl: scratch.url });
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
    await drop();
  });

  it('an incident created and changed on one instance reaches the feed on the other', async () => {
    const feed = await watchFeed(a.url);
    const inc = await createIncident(b, { title: 'Feed: other instance' });
    await feed.until((i) => i.id === inc.id);
    await b.trpc.incidents.updateStatus.mutate({ incident_id: inc.id, status: 'resolved' });
    await feed.until((i) => i.id === inc.id && i.status === 'resolved');
    feed.stop();
  });

  it('a large incident, sent between instances by reference, reaches the feed too', async () => {
    const feed = await watchFeed(a.url);
    const inc = await createIncident(b, { title: 'Feed: large', description: 'x'.repeat(12_000) });
    expect((await feed.until((i) => i.id === inc.id)).description).toHaveLength(12_000);
    feed.stop();
  });
});
