// Analysis wired into the server: runs on create and after ingest (debounced, off the request path), on demand,
// stores root cause, summary, actions and an ai_analysis entry, and pushes the results to the room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Action, Incident, TimelineEntry } from '../../schema/index.js';
import { DB_LABEL, createIncident, startTestServer, type ListeningTestServer } from './harness.js';
import { connectRoom } from './ws-client.js';

let s: ListeningTestServer;
beforeAll(async () => {
  s = await startTestServer({ ANALYSIS_DEBOUNCE_MS: '300' });
});
afterAll(() => s.stop());

const t0 = Date.parse('2026-11-20T10:00:00Z');
const at = (sec: number): string => new Date(t0 + sec * 1000).toISOString();

/** The cause (pool exhaustion on orders-db) early and rarely; its consequences (timeouts, 504s) later and often. */
function poolExhaustion(incident_id: string) {
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    events.push({
      incident_id,
      event_type: 'log',
      level: 'info',
      source: 'checkout-api',
      message: `GET /api/cart/${1000 + i} 200 in ${20 + i}ms`,
      timestamp: at(i),
    });
  }
  for (let i = 0; i < 4; i++) {
    events.push({
      incident_id,
      event_type: 'log',
      level: 'error',
      source: 'orders-db',
      message: `FATAL: remaining connection slots are reserved; connection pool exhausted (active=${100 + i}, max=100)`,
      timestamp: at(60 + i),
    });
  }
  for (let i = 0; i < 120; i++) {
    events.push({
      incident_id,
      event_type: 'log',
      level: 'error',
      source: 'checkout-api',
      message: `upstream request timed out after ${3000 + i}ms: 504 Gateway Timeout`,
      timestamp: at(70 + i),
    });
  }
  events.push({
    incident_id,
    event_type: 'alert',
    level: 'critical',
    source: 'datadog',
    message: 'p99 latency above 2s on checkout-api',
    timestamp: at(100),
  });
  return events;
}

async function waitFor<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** analysis_runs_total for one trigger and outcome, from /metrics. */
const runs = async (trigger: string, outcome: string): Promise<number> => {
  const text = await (await s.api('/metrics')).text();
  const line = new RegExp(`^analysis_runs_total\\{trigger="${trigger}",outcome="${outcome}"\\} (\\d+)`, 'gm');
  return [...text.matchAll(line)].reduce((n, m) => n + Number(m[1]), 0);
};

const getIncident = async (id: string) => Incident.parse(await (await s.api(`/api/incidents/${id}`)).json());
const getActions = async (id: string) =>
  Action.array().parse(await (await s.api(`/api/incidents/${id}/actions`)).json());
const getTimeline = async (id: string) =>
  TimelineEntry.array().parse(await (await s.api(`/api/incidents/${id}/timeline`)).json());

describe(`analysis in the server (${DB_LABEL})`, () => {
  it('fills the analysis on create when the title and description alone say something', async () => {
    const inc = await createIncident(s, {
      title: 'Checkout returning 502s',
      description: 'PostgreSQL connection pool exhausted: 20/20 in use, requests time out',
    });
    const done = await waitFor(async () => {
      const i = await getIncident(inc.id);
      return i.ai_summary ? i : undefined;
    });
    expect(done.root_cause).toBeTruthy();
  });

  it('analyses after ingest: root cause names the cause, not the symptom flood; actions and an ai_analysis entry', async () => {
    const inc = await createIncident(s, {
      title: 'Checkout API latency high',
      severity: 'critical',
      source: 'datadog',
    });
    const room = await connectRoom(s.url, inc.id);
    await room.next('welcome');
    const res = await s.api('/api/ingest/events/batch', { json: poolExhaustion(inc.id) });
    expect(res.status).toBe(201);

    const analysed = await waitFor(async () => {
      const i = await getIncident(inc.id);
      return i.root_cause && /pool|connection/i.test(i.root_cause) ? i : undefined;
    });
    expect(analysed.root_cause).toMatch(/orders-db/);
    expect(analysed.ai_summary?.split(/(?<=[.!?])\s+/).length).toBeGreaterThanOrEqual(2);
    expect(analysed.suggested_actions.length).toBeGreaterThan(0);

    const actions = await getActions(inc.id);
    expect(actions.length).toBeGreaterThan(0);
    for (const a of actions) {
      expect(a.status).toBe('pending');
      expect(a.priority).toBeGreaterThanOrEqual(1);
      expect(a.priority).toBeLessThanOrEqual(5);
      expect(a.suggested_by).toMatch(/^warroom-analyzer/);
    }
    const entry = (await getTimeline(inc.id)).filter((t) => t.entry_type === 'ai_analysis').at(-1);
    expect(entry?.actor).toMatch(/^warroom-analyzer/);
    expect(entry?.metadata).toMatchObject({
      analyzer: expect.stringMatching(/^warroom-analyzer/),
      confidence: expect.any(Number),
    });
    const evidence = entry?.metadata.evidence as { event_ids: string[]; templates: { template: string }[] };
    expect(evidence.event_ids.length).toBeGreaterThan(0);
    expect(evidence.templates.some((t) => /pool exhausted/.test(t.template))).toBe(true);

    // The room heard about it.
    const update = await room.next(
      'incident.updated',
      (f) => f.incident.root_cause !== null && /pool|connection/i.test(f.incident.root_cause),
    );
    expect(update.incident.id).toBe(inc.id);
    await room.next('action.created');
    await room.close();
  });

  it('analyses again after a status change, so the summary states the new status; no new entry if the cause holds', async () => {
    const inc = await createIncident(s, { title: 'Checkout API latency high', severity: 'critical' });
    expect((await s.api('/api/ingest/events/batch', { json: poolExhaustion(inc.id) })).status).toBe(201);
    const open = await waitFor(async () => {
      const i = await getIncident(inc.id);
      return i.ai_summary?.includes('the incident is open') && /orders-db/.test(i.root_cause ?? '') ? i : undefined;
    });
    // Quiet for the debounce, so the ingest-triggered run is done and nothing else is pending.
    await new Promise((r) => setTimeout(r, 800));
    const entriesBefore = (await getTimeline(inc.id)).filter((t) => t.entry_type === 'ai_analysis').length;
    // Counted with ingest runs: a move while an ingest-triggered run is pending joins that run.
    const background = async () => (await runs('status', 'ok')) + (await runs('ingest', 'ok'));
    const runsBefore = await background();
    for (const to of ['investigating', 'identified', 'monitoring', 'resolved']) {
      const res = await s.api(`/api/incidents/${inc.id}/status?status=${to}`, { method: 'PATCH' });
      expect(res.status).toBe(200);
    }
    const resolved = await waitFor(async () => {
      const i = await getIncident(inc.id);
      return i.ai_summary?.includes('the incident is resolved') ? i : undefined;
    });
    expect(resolved.ai_summary).toMatch(/\(lasting [^)]+\); the incident is resolved since /);
    expect(resolved.root_cause).toBe(open.root_cause);
    // Four moves in a burst: debounced into few runs, not one each.
    const ran = (await background()) - runsBefore;
    expect(ran).toBeGreaterThanOrEqual(1);
    expect(ran).toBeLessThanOrEqual(2);
    expect((await getTimeline(inc.id)).filter((t) => t.entry_type === 'ai_analysis')).toHaveLength(entriesBefore);
  });

  it('writes no entry for re-runs whose root cause only counted more events; the first events and asking write one', async () => {
    // The report (an outage drill): steady ingest wrote an ai_analysis entry every debounce, 92 in ten minutes, each
    // saying the same but for a count ("the 704 later warnings and errors…", then 722), pushing chat out of rooms.
    const inc = await createIncident(s, {
      title: 'Checkout returning 502s',
      description: 'PostgreSQL connection pool exhausted: 20/20 in use, requests time out',
    });
    const fromTitle = await waitFor(async () => {
      const i = await getIncident(inc.id);
      return i.root_cause ? i : undefined;
    });
    const entries = async () => (await getTimeline(inc.id)).filter((t) => t.entry_type === 'ai_analysis');
    expect(await entries()).toHaveLength(1);
    // The first events: evidence instead of a guess from the title, a new entry.
    expect((await s.api('/api/ingest/events/batch', { json: poolExhaustion(inc.id) })).status).toBe(201);
    const first = await waitFor(async () => {
      const i = await getIncident(inc.id);
      return i.root_cause !== fromTitle.root_cause && /orders-db/.test(i.root_cause ?? '') ? i : undefined;
    });
    await waitFor(async () => ((await entries()).length === 2 ? true : undefined));
    // More of the same, batch after batch, each analysed (the debounce is 300 ms): the counts in the root cause move,
    // the conclusion does not, and no entry is written.
    let latest = first;
    for (let round = 1; round <= 3; round++) {
      const more = poolExhaustion(inc.id).filter((e) => e.level === 'error' && e.source === 'checkout-api');
      expect((await s.api('/api/ingest/events/batch', { json: more })).status).toBe(201);
      const previous = latest.root_cause;
      latest = await waitFor(async () => {
        const i = await getIncident(inc.id);
        return i.root_cause !== previous ? i : undefined;
      });
    }
    expect(latest.root_cause).not.toBe(first.root_cause);
    expect(latest.root_cause).toMatch(/orders-db/);
    expect(await entries()).toHaveLength(2);
    // Asking always writes one.
    expect((await s.api(`/api/incidents/${inc.id}/analyze`, { method: 'POST' })).status).toBe(200);
    expect(await entries()).toHaveLength(3);
  });

  it('a new incident with nothing to analyse yet costs no analysis write; its first events are analysed', async () => {
    const skippedBefore = await runs('create', 'skipped');
    const inc = await createIncident(s, { title: 'burst', description: '' });
    await waitFor(async () => ((await runs('create', 'skipped')) > skippedBefore ? true : undefined));
    const created = await getIncident(inc.id);
    expect(created.ai_summary).toBeNull();
    expect((await getTimeline(inc.id)).map((t) => t.entry_type)).toEqual(['system_event']);
    await s.api('/api/ingest/events/batch', { json: poolExhaustion(inc.id) });
    const analysed = await waitFor(async () => {
      const i = await getIncident(inc.id);
      return i.root_cause ? i : undefined;
    });
    expect(analysed.root_cause).toMatch(/pool|connection/i);
  });

  it('coalesces a burst of ingests into few runs, and never on the request path', async () => {
    // Only ingest-triggered runs are counted (the create run is another trigger).
    const inc = await createIncident(s, { title: 'burst' });
    const before = await runs('ingest', 'ok');
    for (let i = 0; i < 30; i++) {
      const r = await s.api('/api/ingest/events', {
        json: { incident_id: inc.id, event_type: 'log', level: 'error', message: `disk /var full ${i}` },
      });
      expect(r.status).toBe(201);
    }
    // At least one run comes (however slow the machine), then the burst settles: a handful of runs, not 30.
    await waitFor(async () => ((await runs('ingest', 'ok')) > before ? true : undefined));
    await new Promise((r) => setTimeout(r, 1200));
    const after = await runs('ingest', 'ok');
    expect(after - before).toBeGreaterThanOrEqual(1);
    expect(after - before).toBeLessThanOrEqual(6);
  });

  it('analyses on demand, replacing pending suggestions and keeping ones in progress', async () => {
    const inc = await createIncident(s, { title: 'Checkout API latency high' });
    await s.api('/api/ingest/events/batch', { json: poolExhaustion(inc.id) });
    const res = await s.api(`/api/incidents/${inc.id}/analyze`, { method: 'POST' });
    expect(res.status).toBe(200);
    const analysed = Incident.parse(await res.json());
    expect(analysed.root_cause).toMatch(/pool|connection/i);

    const first = await getActions(inc.id);
    const [taken] = first;
    if (!taken) throw new Error('no actions');
    const patch = await s.api(`/api/incidents/${inc.id}/actions/${taken.id}?status=in_progress&actor=alice`, {
      method: 'PATCH',
    });
    expect(patch.status).toBe(200);
    expect(Action.parse(await patch.json()).status).toBe('in_progress');

    expect((await s.api(`/api/incidents/${inc.id}/analyze/`, { method: 'POST' })).status).toBe(200);
    const second = await getActions(inc.id);
    // No duplicates, the one in progress kept, pending ones kept with their ids.
    expect(new Set(second.map((a) => a.title.toLowerCase())).size).toBe(second.length);
    expect(second.find((a) => a.id === taken.id)?.status).toBe('in_progress');
    expect(second.map((a) => a.id).sort()).toEqual(first.map((a) => a.id).sort());

    const timeline = await getTimeline(inc.id);
    expect(timeline.find((t) => t.entry_type === 'user_action')).toMatchObject({
      actor: 'alice',
      title: expect.stringContaining('in progress'),
    });
  });

  it('tells the room when a new analysis deletes a pending suggestion it replaced', async () => {
    const inc = await createIncident(s, { title: 'Checkout API latency high' });
    await s.api('/api/ingest/events/batch', { json: poolExhaustion(inc.id) });
    expect((await s.api(`/api/incidents/${inc.id}/analyze`, { method: 'POST' })).status).toBe(200);
    // A pending suggestion of the analyzer's that its next run will not make again.
    const stale = await s.database.db
      .insertInto('actions')
      .values({
        incident_id: inc.id,
        title: 'A step the analyzer no longer suggests',
        description: '',
        priority: 3,
        suggested_by: 'warroom-analyzer',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const room = await connectRoom(s.url, inc.id);
    await room.next('welcome');
    expect((await s.api(`/api/incidents/${inc.id}/analyze`, { method: 'POST' })).status).toBe(200);
    const deleted = await room.next('action.deleted');
    expect(deleted).toEqual({ type: 'action.deleted', incident_id: inc.id, action_id: stale.id });
    expect((await getActions(inc.id)).map((a) => a.id)).not.toContain(stale.id);
    await room.close();
  });

  it('validates the action status change', async () => {
    const inc = await createIncident(s, { title: 'x' });
    const missing = '123e4567-e89b-12d3-a456-426614174000';
    expect(
      (await s.api(`/api/incidents/${inc.id}/actions/${missing}?status=completed`, { method: 'PATCH' })).status,
    ).toBe(404);
    expect((await s.api(`/api/incidents/${inc.id}/actions/${missing}?status=done`, { method: 'PATCH' })).status).toBe(
      400,
    );
    expect((await s.api(`/api/incidents/${missing}/analyze`, { method: 'POST' })).status).toBe(404);
  });

  it('cites a similar past incident and reuses what was done there', async () => {
    // Distinctive words, so this past incident (not an earlier test's) is the closest one.
    const past = await createIncident(s, {
      title: 'Zephyr ledger sync failing',
      description: 'zephyr ledger reconciliation stuck',
    });
    await s.api('/api/ingest/events/batch', { json: poolExhaustion(past.id) });
    await s.api(`/api/incidents/${past.id}/analyze`, { method: 'POST' });
    const [done] = await getActions(past.id);
    if (!done) throw new Error('no actions');
    await s.api(`/api/incidents/${past.id}/actions/${done.id}?status=completed`, { method: 'PATCH' });
    await s.api(`/api/incidents/${past.id}/status?status=resolved`, { method: 'PATCH' });

    const now = await createIncident(s, {
      title: 'Zephyr ledger sync failing again',
      description: 'zephyr ledger reconciliation stuck',
    });
    await s.api('/api/ingest/events/batch', { json: poolExhaustion(now.id) });
    await s.api(`/api/incidents/${now.id}/analyze`, { method: 'POST' });
    const entry = (await getTimeline(now.id)).filter((t) => t.entry_type === 'ai_analysis').at(-1);
    const similar = entry?.metadata.similar_incidents as { incident_id: string }[];
    expect(similar.map((x) => x.incident_id)).toContain(past.id);
    expect(similar[0]?.incident_id).toBe(past.id);
    const analysed = await getIncident(now.id);
    expect(`${analysed.ai_summary} ${analysed.root_cause}`).toContain(past.id);
    // What was completed last time is suggested again, saying where it comes from.
    const reused = (await getActions(now.id)).find((a) => a.title === done.title);
    expect(reused?.description).toContain(past.id);
  });
});

describe(`analysis spacing across a quiet moment (${DB_LABEL})`, () => {
  let q: ListeningTestServer;
  beforeAll(async () => {
    q = await startTestServer({ ANALYSIS_DEBOUNCE_MS: '1500' });
  });
  afterAll(() => q.stop());

  const ingestRuns = async (): Promise<number> => {
    const text = await (await q.api('/metrics')).text();
    return [...text.matchAll(/^analysis_runs_total\{trigger="ingest",outcome="ok"\} (\d+)/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  };
  const ingest = async (incident_id: string, message: string): Promise<void> => {
    const r = await q.api('/api/ingest/events', { json: { incident_id, event_type: 'log', level: 'error', message } });
    expect(r.status).toBe(201);
  };

  it('keeps the debounce after a run that saw no new events: the next ingest waits for it', async () => {
    const inc = await createIncident(q, { title: 'quiet spells' });
    await ingest(inc.id, 'disk /var full');
    // Generous: the first run also starts the analysis thread, seconds from the TypeScript sources on a loaded machine.
    await waitFor(async () => ((await ingestRuns()) >= 1 ? true : undefined), 30_000);
    // The run has ended and nothing arrived during it. An event now must wait out the 1,500 ms debounce counted
    // from that run, not start a run ~100 ms later.
    await ingest(inc.id, 'disk /var full again');
    await new Promise((r) => setTimeout(r, 700));
    expect(await ingestRuns()).toBe(1);
    // ...and the run still comes.
    await waitFor(async () => ((await ingestRuns()) >= 2 ? true : undefined), 30_000);
  }, 90_000);
});
