// tRPC: every procedure through @trpc/client with httpBatchLink, fully typed from AppRouter.
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { Event, Incident } from '../../schema/index.js';
import type { AppRouter } from '../../src/index.js';
import { DB_LABEL, startTestServer, type ListeningTestServer } from './harness.js';

let s: ListeningTestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

describe(`tRPC client (${DB_LABEL})`, () => {
  it('calls every procedure with full types', async () => {
    const inc = await s.trpc.incidents.create.mutate({
      title: 'Checkout 502s',
      severity: 'critical',
      tags: ['checkout', ' checkout '],
    });
    expectTypeOf(inc).toEqualTypeOf<Incident>();
    expect(inc.status).toBe('open');
    // Tags are a set here as over REST: the repeat (after trimming) is kept once.
    expect(inc.tags).toEqual(['checkout']);

    const got = await s.trpc.incidents.get.query({ incident_id: inc.id });
    expect(got.id).toBe(inc.id);

    const listed = await s.trpc.incidents.list.query({ tag: 'checkout', limit: 10 });
    expect(listed.map((i) => i.id)).toContain(inc.id);

    const one = await s.trpc.events.ingest.mutate({ incident_id: inc.id, event_type: 'alert', message: 'p99 > 2s' });
    expectTypeOf(one).toEqualTypeOf<Event>();
    const many = await s.trpc.events.ingestBatch.mutate([
      { incident_id: inc.id, event_type: 'log', message: 'a', level: 'error' },
      { incident_id: inc.id, event_type: 'log', message: 'b' },
    ]);
    expect(many).toHaveLength(2);
    const events = await s.trpc.events.list.query({ incident_id: inc.id, limit: 10 });
    expect(events).toHaveLength(3);

    const moved = await s.trpc.incidents.updateStatus.mutate({ incident_id: inc.id, status: 'resolved', actor: 'bob' });
    expect(moved.mttr_minutes).not.toBeNull();
    const timeline = await s.trpc.incidents.timeline.query({ incident_id: inc.id });
    expect(timeline.at(-1)).toMatchObject({ entry_type: 'status_change', actor: 'bob' });
    const actions = await s.trpc.incidents.actions.query({ incident_id: inc.id });
    expect(Array.isArray(actions)).toBe(true);
  });

  it('batches several calls into one HTTP request', async () => {
    const [a, b] = await Promise.all([
      s.trpc.incidents.create.mutate({ title: 'one' }),
      s.trpc.incidents.create.mutate({ title: 'two' }),
    ]);
    expect(a.id).not.toBe(b.id);
    const metrics = await (await s.api('/metrics')).text();
    expect(metrics).toMatch(/http_requests_total\{method="POST",route="\/trpc\/\*",status="200"\}/);
  });

  it('carries the same error fields as REST, without a stack', async () => {
    const err = await s.trpc.incidents.get
      .query({ incident_id: '123e4567-e89b-12d3-a456-426614174000' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    const e = err as TRPCClientError<AppRouter>;
    expect(e.message).toBe('incident 123e4567-e89b-12d3-a456-426614174000 not found');
    expect(e.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    expect(JSON.stringify(e.shape)).not.toContain('stack');

    const bad = (await s.trpc.incidents.list
      .query({ limit: 100_000 })
      .catch((x: unknown) => x)) as TRPCClientError<AppRouter>;
    expect(bad.data?.httpStatus).toBe(400);
    expect(bad.message).toContain('limit');
  });

  it('does not coerce strings in JSON bodies (no in-place schema mutation)', async () => {
    // A REST GET coerces "5" for limit; that must not leak into tRPC or JSON inputs.
    await s.api('/api/incidents/?limit=5');
    const res = await fetch(`${s.url}/trpc/incidents.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 42 }),
    });
    expect(res.status).toBe(400);
  });
});
