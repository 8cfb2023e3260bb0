// The built-in analyzer against its scenario corpus and against hand-made edge cases.
import { describe, expect, it } from 'vitest';
import type { Event, EventLevel, Incident } from '../../schema/index.js';
import { analyzeIncident, ANALYZER_NAME, type AnalysisInput } from '../../src/analysis/analyzer.js';
import { CATEGORIES } from '../../src/analysis/categories/index.js';
import { SIMILARITY_THRESHOLD } from '../../src/analysis/similarity.js';
import { cartBadDeploy } from '../../fixtures/scenarios/platform.js';
import { dbPoolCheckout } from '../../fixtures/scenarios/data-stores.js';
import { buildScenario, SCENARIO_START, SCENARIOS } from '../../fixtures/scenarios/index.js';
import { pastPoolExhaustion, UNRELATED_PAST } from '../../fixtures/scenarios/past-incidents.js';
import { Rng } from '../../fixtures/scenarios/rng.js';

const REQUIRED_CATEGORIES = [
  'db_connection_exhaustion',
  'disk_full',
  'memory_exhaustion',
  'certificate_expiry',
  'dns_resolution',
  'upstream_timeout',
  'rate_limiting',
  'bad_deploy',
  'crash_loop',
  'credential_failure',
  'cpu_saturation',
  'queue_backlog',
  'cache_outage',
  'network_partition',
  'replication_lag',
];

const built = SCENARIOS.map((def) => buildScenario(def));
const analysed = built.map((b) => ({ ...b, result: analyzeIncident(b.input) }));

/** Sentences of prose, ignoring the quoted log lines (which may contain their own punctuation). */
function sentences(text: string): string[] {
  return text
    .replace(/“[^”]*”/g, 'Q')
    .split(/(?<=[.!?])\s+(?=[A-Z0-9])/)
    .filter((s) => s.trim().length > 0);
}

function fixText(actions: readonly string[]): string {
  return actions.join('\n').toLowerCase();
}

const MINUTE = 60_000;
const INCIDENT_ID = '11111111-2222-4333-8444-555555555555';

function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: INCIDENT_ID,
    title: 'Checkout API returning 502s',
    description: '',
    status: 'open',
    severity: 'high',
    source: 'manual',
    tags: [],
    metadata: {},
    created_at: new Date(SCENARIO_START).toISOString(),
    updated_at: new Date(SCENARIO_START).toISOString(),
    resolved_at: null,
    ai_summary: null,
    root_cause: null,
    suggested_actions: [],
    mttr_minutes: null,
    ...overrides,
  };
}

/** `count` copies of one message, one every `everySeconds`, starting `atMinute` after the scenario start. */
function burst(
  r: Rng,
  spec: { message: string; level: EventLevel; source: string; atMinute: number; count: number; everySeconds?: number },
): Event[] {
  return Array.from({ length: spec.count }, (_, i) => ({
    id: r.uuid(),
    incident_id: INCIDENT_ID,
    event_type: 'log' as const,
    message: spec.message.replace('{i}', String(1000 + i)),
    level: spec.level,
    source: spec.source,
    metadata: {},
    timestamp: new Date(SCENARIO_START + spec.atMinute * MINUTE + i * (spec.everySeconds ?? 2) * 1000).toISOString(),
  }));
}

function input(events: Event[], overrides: Partial<AnalysisInput> = {}): AnalysisInput {
  return { incident: incident(), events, status_history: [], past_incidents: [], ...overrides };
}

describe('the category library', () => {
  it('has at least 15 categories including every required one, each with a runbook naming the component', () => {
    expect(CATEGORIES.length).toBeGreaterThanOrEqual(15);
    const ids = CATEGORIES.map((c) => c.id);
    for (const id of REQUIRED_CATEGORIES) expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CATEGORIES) {
      expect(c.signatures.length).toBeGreaterThan(0);
      expect(c.runbook.length).toBeGreaterThanOrEqual(3);
      expect(c.runbook.some((s) => /\{(component|target)\}/.test(s.title))).toBe(true);
      for (const step of c.runbook) expect(step.priority).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('scenario corpus', () => {
  it('has at least 15 scenarios of a few hundred events, covering every required category', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(15);
    expect(new Set(SCENARIOS.map((s) => s.id)).size).toBe(SCENARIOS.length);
    for (const b of built) expect(b.input.events.length).toBeGreaterThan(300);
    const covered = new Set(SCENARIOS.map((s) => s.expected.category));
    for (const id of REQUIRED_CATEGORIES) expect(covered).toContain(id);
  });

  it.each(analysed.map((a) => [a.def.id, a] as const))(
    '%s: right category, a fitting fix, the component named',
    (_id, a) => {
      expect(a.result.category).toBe(a.expected.category);
      const fix = fixText(a.result.suggested_actions);
      for (const keyword of a.expected.fixKeywords) expect(fix).toContain(keyword.toLowerCase());
      expect(a.result.root_cause).toContain(a.expected.component);
      expect(a.result.confidence).toBeGreaterThan(0);
      expect(a.result.confidence).toBeLessThanOrEqual(1);
    },
  );

  it('meets the accuracy floor: every scenario categorised correctly', () => {
    const wrong = analysed
      .filter((a) => a.result.category !== a.expected.category)
      .map((a) => `${a.def.id} → ${a.result.category}`);
    expect(wrong).toEqual([]);
  });

  it.each(analysed.map((a) => [a.def.id, a] as const))(
    '%s: summary has 2-5 sentences with volume and status',
    (_id, a) => {
      const n = sentences(a.result.ai_summary).length;
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThanOrEqual(5);
      expect(a.result.ai_summary).toContain(`${a.input.events.length.toLocaleString('en-US')} events`);
      expect(a.result.ai_summary).toContain(a.input.incident.status);
    },
  );

  it('returns actions matching the suggested steps, with priorities 1..5', () => {
    for (const { result } of analysed) {
      expect(result.analyzer).toBe(ANALYZER_NAME);
      expect(result.actions.map((a) => a.title)).toEqual(result.suggested_actions);
      for (const a of result.actions) {
        expect(a.priority).toBeGreaterThanOrEqual(1);
        expect(a.priority).toBeLessThanOrEqual(5);
        expect(a.description.length).toBeGreaterThan(0);
      }
      const priorities = result.actions.map((a) => a.priority);
      expect(priorities).toEqual([...priorities].sort((x, y) => x - y));
    }
  });

  it('cites evidence that exists in the input', () => {
    for (const { input: inp, result } of analysed) {
      const ids = new Set(inp.events.map((e) => e.id));
      expect(result.evidence.event_ids.length).toBeGreaterThan(0);
      for (const id of result.evidence.event_ids) expect(ids.has(id)).toBe(true);
      for (const t of result.evidence.templates) {
        expect(t.count).toBeGreaterThan(0);
        expect(t.first_seen <= t.last_seen).toBe(true);
      }
    }
  });
});

describe('cause versus consequence', () => {
  it('picks a cause seen 3 times early over 400 later timeouts it produced', () => {
    const r = new Rng(7);
    const cause = burst(r, {
      message: 'could not obtain connection from pool orders-db within 5000ms: pool exhausted',
      level: 'error',
      source: 'orders-api',
      atMinute: 10,
      count: 3,
    });
    const symptoms = [
      ...burst(r, {
        message: 'upstream orders-api timed out after 30000ms (request {i})',
        level: 'error',
        source: 'api-gateway',
        atMinute: 10.5,
        count: 300,
      }),
      ...burst(r, {
        message: 'POST /api/orders 504 Gateway Timeout (request {i})',
        level: 'error',
        source: 'api-gateway',
        atMinute: 11,
        count: 100,
      }),
    ];
    const withCause = analyzeIncident(input([...cause, ...symptoms]));
    expect(withCause.category).toBe('db_connection_exhaustion');
    expect(withCause.root_cause).toContain('orders-api');
    expect(withCause.root_cause).toMatch(/consequences of it, not the cause/);
    expect(withCause.evidence.templates[0]?.template).toMatch(/pool exhausted/);

    // The same flood without its cause is reported as what it is: a dependency timing out.
    const symptomsOnly = analyzeIncident(input(symptoms));
    expect(symptomsOnly.category).toBe('upstream_timeout');
    expect(symptomsOnly.confidence).toBeLessThan(withCause.confidence);
  });

  it('in the checkout scenario, names the pool although symptoms outnumber it more than 20 to 1', () => {
    const a = analysed.find((x) => x.def.id === dbPoolCheckout.id);
    if (a === undefined) throw new Error('db-pool-checkout scenario missing');
    const poolLines = a.input.events.filter((e) =>
      /pool exhausted|too many clients|Connection is not available/.test(e.message),
    ).length;
    const timeoutLines = a.input.events.filter((e) => /timed out|50[24]/.test(e.message) && e.level !== 'info').length;
    expect(timeoutLines).toBeGreaterThan(20 * poolLines);
    expect(a.result.category).toBe('db_connection_exhaustion');
    expect(a.result.root_cause).toMatch(/connection pool/);
  });

  it('treats a deploy just before the errors as the trigger, and not once it is removed', () => {
    const { input: inp } = buildScenario(cartBadDeploy);
    const result = analyzeIncident(inp);
    expect(result.category).toBe('bad_deploy');
    expect(result.root_cause).toContain('cart-service');
    expect(result.root_cause).not.toContain('search-api');
    expect(result.suggested_actions[0]).toMatch(/^Roll back cart-service/);

    const withoutDeploy = inp.events.filter(
      (e) => !/deploy|rolled out|rollout/.test(e.message) || e.message.includes('search-api'),
    );
    expect(analyzeIncident({ ...inp, events: withoutDeploy }).category).not.toBe('bad_deploy');
  });

  it('ignores a change made after the errors began (a roll back is a reaction, not a cause)', () => {
    const r = new Rng(11);
    const events = [
      ...burst(r, {
        message: 'Error: Redis connection to sessions-cache:6379 failed - connect ECONNREFUSED 10.0.0.5:6379',
        level: 'error',
        source: 'session-api',
        atMinute: 10,
        count: 40,
        everySeconds: 10,
      }),
      ...burst(r, {
        message: 'deployment session-api rolled out revision 4b5c6d7 (v1.2.3)',
        level: 'info',
        source: 'argocd',
        atMinute: 14,
        count: 1,
      }),
    ];
    expect(analyzeIncident(input(events)).category).toBe('cache_outage');
  });
});

describe('metrics', () => {
  function readings(
    r: Rng,
    values: readonly number[],
    metadata: (v: number) => Record<string, unknown>,
    message: (v: number) => string,
  ): Event[] {
    return values.map((v, i) => ({
      id: r.uuid(),
      incident_id: INCIDENT_ID,
      event_type: 'metric' as const,
      message: message(v),
      level: 'info' as const,
      source: 'prometheus',
      metadata: metadata(v),
      timestamp: new Date(SCENARIO_START + i * MINUTE).toISOString(),
    }));
  }

  it('reads a metric from metadata and judges it by its value, not by the level it was sent with', () => {
    const r = new Rng(3);
    const values = [71, 74, 80, 86, 91, 95, 98, 99, 99.5, 99.9];
    const events = [
      ...readings(
        r,
        values,
        (v) => ({ metric: 'filesystem_used_percent', value: v, host: 'db-7', service: 'billing-db' }),
        () => 'filesystem usage sample',
      ),
      ...burst(r, {
        message: 'could not write block {i} of temporary file',
        level: 'error',
        source: 'billing-db',
        atMinute: 8,
        count: 12,
        everySeconds: 5,
      }),
    ];
    const result = analyzeIncident(input(events));
    expect(result.category).toBe('disk_full');
    expect(result.root_cause).toContain('db-7');
  });

  it('does not read healthy metrics as a failure', () => {
    const r = new Rng(4);
    const events = [
      ...readings(
        r,
        [20, 35, 41, 38, 30, 44, 39, 25],
        () => ({ service: 'web' }),
        (v) => `cpu_usage_percent=${v} host=web-1`,
      ),
      ...readings(
        r,
        [55, 57, 60, 58, 56, 59, 61, 60],
        () => ({ service: 'web' }),
        (v) => `memory_used_percent=${v} host=web-1`,
      ),
    ];
    const result = analyzeIncident(
      input(events, { incident: incident({ title: 'Customers complain', description: '' }) }),
    );
    expect(result.category).toBeNull();
    expect(result.root_cause).toMatch(/no evidence of the cause yet/);
  });
});

describe('the title does not decide', () => {
  it('keeps the event-based category when the title names another failure', () => {
    const { input: inp } = buildScenario(dbPoolCheckout);
    const misleading = {
      ...inp,
      incident: {
        ...inp.incident,
        title: 'Disk full on checkout hosts: no space left on device',
        description: 'Redis cache down too?',
        tags: ['disk', 'redis'],
      },
    };
    expect(analyzeIncident(misleading).category).toBe('db_connection_exhaustion');
  });

  it('sees past titles that point at the wrong component in the corpus', () => {
    const pointing = {
      'db-pool-reporting': 'Redis',
      'cert-expiry-payments-db': 'database',
      'config-change-tax-flag': 'Invoices',
    } as const;
    for (const [id, word] of Object.entries(pointing)) {
      const a = analysed.find((x) => x.def.id === id);
      if (a === undefined) throw new Error(`${id} scenario missing`);
      expect(a.input.incident.title).toContain(word);
      expect(a.result.category).toBe(a.expected.category);
    }
  });
});

describe('similar past incidents', () => {
  const { input: base } = buildScenario(dbPoolCheckout);

  it('cites a close past incident and reuses its root cause and completed actions', () => {
    const result = analyzeIncident({ ...base, past_incidents: [...UNRELATED_PAST, pastPoolExhaustion] });
    const best = result.similar[0];
    expect(best?.incident_id).toBe(pastPoolExhaustion.id);
    expect(best?.score ?? 0).toBeGreaterThanOrEqual(SIMILARITY_THRESHOLD);
    expect(result.root_cause).toContain(pastPoolExhaustion.id);
    expect(result.ai_summary).toContain(pastPoolExhaustion.title);
    expect(result.ai_summary).toContain('HikariCP pool');
    for (const done of pastPoolExhaustion.completed_actions) expect(result.suggested_actions).toContain(done);
    const reused = result.actions.find((a) => a.title === pastPoolExhaustion.completed_actions[0]);
    expect(reused?.description).toContain(pastPoolExhaustion.id);
    // The urgent first step of the runbook still leads.
    expect(result.actions[0]?.priority).toBe(1);
    // Its summary stays within five sentences even with the citation.
    expect(sentences(result.ai_summary).length).toBeLessThanOrEqual(5);
  });

  it('marks a runbook step that was completed last time instead of listing it twice', () => {
    const first = analyzeIncident(base);
    const step = first.suggested_actions[0] ?? '';
    const past = { ...pastPoolExhaustion, completed_actions: [step] };
    const result = analyzeIncident({ ...base, past_incidents: [past] });
    expect(result.suggested_actions.filter((a) => a === step)).toHaveLength(1);
    expect(result.actions[0]).toMatchObject({ title: step, priority: 1 });
    expect(result.actions[0]?.description).toContain(past.id);
  });

  it('does not cite past incidents that only share generic words', () => {
    const result = analyzeIncident({ ...base, past_incidents: UNRELATED_PAST });
    for (const s of result.similar) expect(s.score).toBeLessThan(SIMILARITY_THRESHOLD);
    expect(result.ai_summary).not.toMatch(/resembles past incident/);
    for (const p of UNRELATED_PAST)
      for (const done of p.completed_actions) expect(result.suggested_actions).not.toContain(done);
  });

  it('borrows the category of a close past incident when no signature matches', () => {
    const r = new Rng(5);
    const events = burst(r, {
      message: 'ZorkError: frobnicator lost sync with quux ring (shard {i})',
      level: 'error',
      source: 'zork-service',
      atMinute: 5,
      count: 60,
    });
    const unknown = analyzeIncident(input(events));
    expect(unknown.category).toBeNull();
    expect(unknown.root_cause).toMatch(/No known failure signature matched/);
    expect(unknown.root_cause).toContain('zork-service');

    const past = {
      id: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
      title: 'Zork service frobnicator out of sync',
      description: 'frobnicator lost sync with the quux ring',
      root_cause: 'A quux ring member ran an old protocol version and desynchronised the frobnicator.',
      category: 'bad_deploy',
      templates: ['ZorkError: frobnicator lost sync with quux ring <*>'],
      completed_actions: ['Upgraded the lagging quux ring member'],
    };
    const guided = analyzeIncident(input(events, { past_incidents: [past] }));
    expect(guided.category).toBe('bad_deploy');
    expect(guided.root_cause).toContain(past.root_cause.replace(/\.$/, ''));
    expect(guided.suggested_actions).toContain('Upgraded the lagging quux ring member');
  });
});

describe('without events', () => {
  it('infers a category from the title and description, with low confidence', () => {
    const result = analyzeIncident(
      input([], {
        incident: incident({
          title: 'Disk full on reporting host',
          description: 'Writes fail with no space left',
          metadata: { service: 'reporting-api' },
        }),
      }),
    );
    expect(result.category).toBe('disk_full');
    expect(result.confidence).toBeLessThanOrEqual(0.3);
    expect(result.root_cause).toMatch(/No events have been received yet/);
    expect(result.root_cause).toContain('reporting-api');
    expect(result.suggested_actions.length).toBeGreaterThan(0);
    const n = sentences(result.ai_summary).length;
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThanOrEqual(5);
    expect(result.evidence).toEqual({ event_ids: [], templates: [] });
  });

  it('stays honest when the text names no known failure either', () => {
    const result = analyzeIncident(
      input([], { incident: incident({ title: 'Something is off', description: 'Customers complain' }) }),
    );
    expect(result.category).toBeNull();
    expect(result.confidence).toBeLessThanOrEqual(0.1);
    expect(result.root_cause).toMatch(/cause is still unknown/);
    expect(result.suggested_actions.length).toBeGreaterThan(0);
    expect(sentences(result.ai_summary).length).toBeGreaterThanOrEqual(2);
  });
});

describe('determinism', () => {
  it('gives the same result for the same input, whatever the event order', () => {
    const { input: inp } = buildScenario(dbPoolCheckout);
    const first = analyzeIncident(inp);
    expect(analyzeIncident(inp)).toEqual(first);
    const shuffled = [...inp.events].reverse();
    expect(analyzeIncident({ ...inp, events: shuffled })).toEqual(first);
  });
});

describe('the summary says only what the events show', () => {
  const r = new Rng(7);
  const pool = (source: string, count = 5, everySeconds = 0) =>
    burst(r, {
      message: 'FATAL: remaining connection slots are reserved ({i})',
      level: 'error',
      source,
      atMinute: 3,
      count,
      everySeconds,
    });

  it('does not call the placeholder source of unnamed events an affected service', () => {
    const { ai_summary } = analyzeIncident(input([...pool('unknown', 8), ...pool('orders-db', 3)]));
    expect(ai_summary).toMatch(/^orders-db is affected since /);
    expect(ai_summary).not.toMatch(/unknown (and|is)/);
  });

  it('with only unnamed sources, says when warnings began without naming a service', () => {
    const { ai_summary } = analyzeIncident(input(pool('unknown', 4)));
    expect(ai_summary).toMatch(/^Warnings or worse since \S+ \(one burst so far\); the incident is open\./);
  });

  it('gives no "so far" duration measured on its own clock: one burst, or the time of the latest failure', () => {
    expect(analyzeIncident(input(pool('orders-db', 6, 0))).ai_summary).toContain('(one burst so far)');
    const spread = analyzeIncident(input(pool('orders-db', 6, 30))).ai_summary;
    expect(spread).toMatch(/since \S+ \(the latest at \S+\); the incident is open\./);
    expect(spread).not.toMatch(/so far/);
    const resolved = analyzeIncident(input(pool('orders-db', 6, 30), { incident: incident({ status: 'resolved' }) }));
    expect(resolved.ai_summary).toMatch(/\(lasting 3 min\); the incident is resolved/);
  });
});
