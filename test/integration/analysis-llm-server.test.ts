// The optional LLM through the running server: its reply is stored when valid; when it fails, the built-in
// analysis stands and the failure is counted in /metrics. The model is a fake OpenAI-compatible server on loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Action, Incident } from '../../schema/index.js';
import { DB_LABEL, createIncident, startTestApp, type TestServer } from './harness.js';

let fake: Server;
let fakeUrl = '';
let mode: 'good' | 'broken' = 'good';

const REPLY = {
  root_cause: 'orders-db ran out of connections because a batch job held them open.',
  ai_summary: 'Checkout fails with timeouts. The orders-db connection pool is exhausted.',
  suggested_actions: ['Stop the batch job holding orders-db connections'],
  actions: [
    {
      title: 'Stop the batch job holding orders-db connections',
      description: 'It holds 90 of 100 connections.',
      priority: 1,
    },
  ],
  confidence: 0.8,
};

beforeAll(async () => {
  fake = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (mode === 'broken') {
        res.writeHead(500).end('model overloaded');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: JSON.stringify(REPLY) } }] }));
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
  fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});
afterAll(async () => {
  fake.closeAllConnections();
  await new Promise((r) => fake.close(r));
});

describe(`LLM refinement in the server (${DB_LABEL})`, () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestApp({ LLM_BASE_URL: fakeUrl, LLM_MODEL: 'fake-model', LLM_TIMEOUT_MS: '2000' });
  });
  afterAll(() => s.stop());

  const events = (incident_id: string) => [
    {
      incident_id,
      event_type: 'log',
      level: 'error',
      source: 'orders-db',
      message: 'connection pool exhausted (active=100, max=100)',
    },
    {
      incident_id,
      event_type: 'log',
      level: 'error',
      source: 'checkout-api',
      message: 'upstream request timed out after 3000ms',
    },
  ];

  it('stores the model’s reply, naming the model', async () => {
    mode = 'good';
    const inc = await createIncident(s, { title: 'Checkout failing' });
    await s.api('/api/ingest/events/batch', { json: events(inc.id) });
    const analysed = Incident.parse(await (await s.api(`/api/incidents/${inc.id}/analyze`, { method: 'POST' })).json());
    expect(analysed.root_cause).toBe(REPLY.root_cause);
    const actions = Action.array().parse(await (await s.api(`/api/incidents/${inc.id}/actions`)).json());
    expect(actions.map((a) => [a.title, a.suggested_by])).toContainEqual([REPLY.actions[0]?.title, 'llm:fake-model']);
  });

  it('keeps the built-in analysis when the model fails, and counts the failure', async () => {
    mode = 'broken';
    const inc = await createIncident(s, { title: 'Checkout failing' });
    await s.api('/api/ingest/events/batch', { json: events(inc.id) });
    const analysed = Incident.parse(await (await s.api(`/api/incidents/${inc.id}/analyze`, { method: 'POST' })).json());
    expect(analysed.root_cause).not.toBe(REPLY.root_cause);
    expect(analysed.root_cause).toMatch(/orders-db/);
    const actions = Action.array().parse(await (await s.api(`/api/incidents/${inc.id}/actions`)).json());
    expect(actions.every((a) => a.suggested_by.startsWith('warroom-analyzer'))).toBe(true);
    const metrics = await (await s.api('/metrics')).text();
    expect(metrics).toMatch(/^analysis_llm_failures_total\{reason="http_error"\} [1-9]\d*$/m);
  });
});
