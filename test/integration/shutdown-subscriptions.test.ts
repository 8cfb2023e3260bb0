// Graceful shutdown with live tRPC subscriptions open (the console's incident list holds one all the time): the SSE
// streams end as the server stops, so stopping does not wait out the grace period meant for in-flight requests.
import { describe, expect, it } from 'vitest';
import { DB_LABEL, createIncident, startTestServer } from './harness.js';

/** Opens an SSE subscription with a plain fetch; resolves once the server has sent its first bytes. */
async function openStream(url: string): Promise<{ ended: Promise<void> }> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream' } });
  expect(res.status).toBe(200);
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  await reader.read();
  const ended = (async () => {
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) return;
    }
  })();
  return { ended };
}

describe(`shutdown with subscriptions open (${DB_LABEL})`, () => {
  it('ends incidents.onListUpdate and incidents.onUpdate streams and stops well within the grace period', async () => {
    const s = await startTestServer();
    try {
      const inc = await createIncident(s);
      const list = await openStream(`${s.url}/trpc/incidents.onListUpdate`);
      const input = encodeURIComponent(JSON.stringify({ incident_id: inc.id }));
      const room = await openStream(`${s.url}/trpc/incidents.onUpdate?input=${input}`);

      const started = performance.now();
      // The default grace (10 s): before the fix, the open streams held server.close() for all of it.
      await s.close();
      const took = performance.now() - started;
      expect(took).toBeLessThan(3000);
      // And the clients learn of it: their streams end (the tRPC client then reconnects, to the next server).
      await Promise.all([list.ended, room.ended]);
    } finally {
      await s.stop();
    }
  });
});
