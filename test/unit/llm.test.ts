// LLM refinement against a real local fake of an OpenAI-compatible server: merge on success, ok:false on every failure.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { analyzeIncident } from '../../src/analysis/analyzer.js';
import { refineWithLlm, type LlmOptions } from '../../src/analysis/runtime/llm.js';
import { dbPoolCheckout } from '../../fixtures/scenarios/data-stores.js';
import { buildScenario } from '../../fixtures/scenarios/index.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

interface Received {
  method: string | undefined;
  url: string | undefined;
  authorization: string | undefined;
  body: string;
}

const { input } = buildScenario(dbPoolCheckout);
const builtIn = analyzeIncident(input);

let server: Server;
let baseUrl = '';
let handler: Handler = (_req, _body, res) => res.end();
const received: Received[] = [];
const timers: NodeJS.Timeout[] = [];

function listen(s: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      if (address === null || typeof address === 'string') reject(new Error('expected a TCP address'));
      else resolve(`http://127.0.0.1:${address.port}`);
    });
  });
}

function close(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((resolve) => s.close(() => resolve()));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
      handler(req, body, res);
    });
  });
  baseUrl = await listen(server);
});

afterEach(() => {
  for (const t of timers.splice(0)) clearTimeout(t);
  received.length = 0;
});

afterAll(() => close(server));

function options(overrides: Partial<LlmOptions> = {}): LlmOptions {
  return { baseUrl, model: 'test-model', apiKey: 'sk-test', timeoutMs: 2000, ...overrides };
}

/** An OpenAI chat.completions response whose message content is `content`. */
function completion(content: string): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'test-model',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
  });
}

function reply(status: number, body: string): Handler {
  return (_req, _body, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };
}

const GOOD_REPLY = {
  root_cause: 'checkout-api leaked connections from its pool to orders-db; the gateway timeouts are consequences.',
  ai_summary:
    'Checkout has failed since 08:33. Most errors are gateway timeouts. The pool of checkout-api is exhausted.',
  suggested_actions: ['Restart checkout-api to release leaked connections', 'Raise the pool size of checkout-api'],
  actions: [
    { title: 'Restart checkout-api to release leaked connections', description: 'Rolling restart.', priority: 1 },
    { title: 'Raise the pool size of checkout-api', description: 'From 50 to 80.', priority: 2 },
  ],
  confidence: 0.9,
};

describe('refineWithLlm', () => {
  it('sends compact evidence as a JSON-mode chat request and merges a valid reply', async () => {
    handler = reply(200, completion(JSON.stringify(GOOD_REPLY)));
    const outcome = await refineWithLlm(options(), input, builtIn);
    if (!outcome.ok) throw new Error(`expected ok, got ${outcome.reason}: ${outcome.detail}`);
    const { result } = outcome;
    expect(result.analyzer).toBe('llm:test-model');
    expect(result.root_cause).toBe(GOOD_REPLY.root_cause);
    expect(result.ai_summary).toBe(GOOD_REPLY.ai_summary);
    expect(result.suggested_actions).toEqual(GOOD_REPLY.suggested_actions);
    expect(result.actions).toEqual(GOOD_REPLY.actions);
    expect(result.confidence).toBe(0.9);
    // What was measured stays measured.
    expect(result.category).toBe(builtIn.category);
    expect(result.evidence).toEqual(builtIn.evidence);
    expect(result.similar).toEqual(builtIn.similar);

    expect(received).toHaveLength(1);
    const request = received[0];
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/chat/completions');
    expect(request?.authorization).toBe('Bearer sk-test');
    const sent: unknown = JSON.parse(request?.body ?? '');
    expect(sent).toMatchObject({ model: 'test-model', response_format: { type: 'json_object' } });
    const body = request?.body ?? '';
    expect(body).toContain('built_in_analysis');
    expect(body).toContain('db_connection_exhaustion');
    expect(body).toContain(JSON.stringify(builtIn.evidence.templates[0]?.template ?? '').slice(1, -1));
    // Counts and templates only: no individual events travel.
    for (const e of input.events.slice(0, 50)) expect(body).not.toContain(e.id);
    expect(body.length).toBeLessThan(20_000);
  });

  it('accepts a fenced JSON reply without actions and derives the actions in order', async () => {
    const { actions: _omitted, confidence: _alsoOmitted, ...minimal } = GOOD_REPLY;
    handler = reply(200, completion(`\`\`\`json\n${JSON.stringify(minimal)}\n\`\`\``));
    const outcome = await refineWithLlm(options({ apiKey: undefined, baseUrl: `${baseUrl}/v1/` }), input, builtIn);
    if (!outcome.ok) throw new Error(`expected ok, got ${outcome.reason}: ${outcome.detail}`);
    expect(outcome.result.actions.map((a) => [a.title, a.priority])).toEqual([
      [minimal.suggested_actions[0], 1],
      [minimal.suggested_actions[1], 2],
    ]);
    expect(outcome.result.confidence).toBe(builtIn.confidence);
    expect(received[0]?.url).toBe('/v1/chat/completions');
    expect(received[0]?.authorization).toBeUndefined();
  });

  it('gives up with "timeout" when the reply is slower than timeoutMs', async () => {
    handler = (_req, _body, res) => {
      timers.push(setTimeout(() => res.end(completion(JSON.stringify(GOOD_REPLY))), 3000));
    };
    const outcome = await refineWithLlm(options({ timeoutMs: 100 }), input, builtIn);
    expect(outcome).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('reports "http_error" for a 500', async () => {
    handler = reply(500, JSON.stringify({ error: { message: 'model crashed' } }));
    const outcome = await refineWithLlm(options(), input, builtIn);
    expect(outcome).toMatchObject({ ok: false, reason: 'http_error' });
    if (!outcome.ok) expect(outcome.detail).toMatch(/HTTP 500.*model crashed/);
  });

  it('reports "invalid_reply" for a body that is not JSON', async () => {
    handler = reply(200, '<html>Bad Gateway</html>');
    expect(await refineWithLlm(options(), input, builtIn)).toMatchObject({ ok: false, reason: 'invalid_reply' });
  });

  it('reports "invalid_reply" when the message content is not JSON', async () => {
    handler = reply(200, completion('The root cause is probably the database.'));
    expect(await refineWithLlm(options(), input, builtIn)).toMatchObject({ ok: false, reason: 'invalid_reply' });
  });

  it('reports "invalid_reply" for JSON that breaks the schema, naming the offending field', async () => {
    const bad = { ...GOOD_REPLY, root_cause: undefined, actions: [{ title: 'Panic', description: '', priority: 9 }] };
    handler = reply(200, completion(JSON.stringify(bad)));
    const outcome = await refineWithLlm(options(), input, builtIn);
    expect(outcome).toMatchObject({ ok: false, reason: 'invalid_reply' });
    if (!outcome.ok) {
      expect(outcome.detail).toContain('root_cause');
      expect(outcome.detail).toContain('actions.0.priority');
    }
  });

  it('reports "invalid_reply" for a completion without choices', async () => {
    handler = reply(200, JSON.stringify({ choices: [] }));
    expect(await refineWithLlm(options(), input, builtIn)).toMatchObject({ ok: false, reason: 'invalid_reply' });
  });

  it('reports "network_error" when nothing listens', async () => {
    const closed = createServer();
    const url = await listen(closed);
    await close(closed);
    const outcome = await refineWithLlm(options({ baseUrl: url }), input, builtIn);
    expect(outcome).toMatchObject({ ok: false, reason: 'network_error' });
  });
});
