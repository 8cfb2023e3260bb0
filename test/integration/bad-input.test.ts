// Bad input is a 400 that names the field, by class (issue 14): text PostgreSQL cannot store in any string input
// (query filters too), timestamps outside the range both databases round-trip, metadata too deep or too large or
// with a __proto__ key, bodies and query strings that are not UTF-8, numbers that are not plain decimals, a query
// parameter given twice. Each class has its reported example and its boundary; nothing is written on a 400.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_METADATA_DEPTH, MAX_METADATA_ENTRIES, MAX_METADATA_TEXT } from '../../schema/index.js';
import { DB_LABEL, createIncident, startTestApp, type TestServer } from './harness.js';

let s: TestServer;
let incidentId: string;
beforeAll(async () => {
  s = await startTestApp();
  incidentId = (await createIncident(s)).id;
});
afterAll(() => s.stop());

interface ErrorBody {
  code: string;
  message: string;
  issues?: Array<{ path: string; message: string }>;
}

async function expect400(res: Response, path?: string): Promise<ErrorBody> {
  const body = (await res.json()) as ErrorBody;
  expect(res.status, JSON.stringify(body)).toBe(400);
  expect(body.code).toBe('BAD_REQUEST');
  if (path !== undefined) expect(body.issues?.map((i) => i.path) ?? [body.message]).toContain(path);
  return body;
}

const event = (extra: Record<string, unknown> = {}) => ({
  incident_id: incidentId,
  event_type: 'log',
  message: 'x',
  ...extra,
});
const eventCount = async (): Promise<number> =>
  ((await (await s.api(`/api/ingest/events/${incidentId}?limit=1000`)).json()) as unknown[]).length;

/** A raw JSON body with the given bytes spliced in, as a client that sends broken UTF-8 would. */
function rawBody(before: string, bytes: number[], after: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array([...Buffer.from(before), ...bytes, ...Buffer.from(after)]);
}

describe(`bad input is a 400 naming the field (${DB_LABEL})`, () => {
  it('refuses a NUL in every string query filter, as in the report (?tag=%00)', async () => {
    for (const name of ['tag', 'source']) await expect400(await s.api(`/api/incidents/?${name}=%00`), name);
    await expect400(await s.api(`/api/incidents/?status=%00`), 'status');
    const res = await s.api(`/api/incidents/${incidentId}/status?status=investigating&actor=a%00b`, {
      method: 'PATCH',
    });
    await expect400(res, 'actor');
  });

  // `?source=$SOURCE` with SOURCE unset listed every incident (a new-user trial, 2026-12-03), where an empty severity
  // was already a 400: every filter refuses an empty value alike.
  it('refuses an empty or blank value of every incident list filter, naming it', async () => {
    for (const name of ['tag', 'source', 'status', 'severity']) {
      for (const value of ['', '%20%20']) {
        const body = await expect400(await s.api(`/api/incidents/?${name}=${value}`), name);
        if (name === 'tag' || name === 'source') expect(JSON.stringify(body)).toContain('must not be empty');
      }
    }
  });

  // The class: every path and query parameter openapi.json documents, one at a time. A key's name or id
  // (DELETE /api/keys/{key}) reached PostgreSQL with its NUL and came back as a 500 (walkthrough, 2026-12-01).
  it('refuses a NUL in every path and query parameter of every operation, naming it', async () => {
    type Parameter = { name: string; in: string; schema?: { format?: string } };
    const doc = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as {
      paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: unknown }>>;
    };
    let checked = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const params = (op.parameters ?? []).filter((p) => p.in === 'path' || p.in === 'query');
        for (const target of params) {
          const valueOf = (p: Parameter): string =>
            p === target ? '%00' : p.schema?.format === 'uuid' ? incidentId : 'a';
          let url = `/api${path}`;
          for (const p of params.filter((x) => x.in === 'path')) url = url.replace(`{${p.name}}`, valueOf(p));
          if (target.in === 'query') url += `?${target.name}=%00`;
          const init: RequestInit & { json?: unknown } = { method: method.toUpperCase() };
          if (op.requestBody) init.json = {};
          const res = await s.api(url, init);
          const body = (await res.json()) as ErrorBody;
          expect(res.status, `${method} ${url}: ${JSON.stringify(body)}`).toBe(400);
          expect(body.issues?.map((i) => i.path) ?? [body.message], `${method} ${url}`).toContain(target.name);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('refuses timestamps outside years 1000-9999 UTC once the offset is applied, in bodies and queries', async () => {
    const before = await eventCount();
    for (const timestamp of [
      '0001-01-01T00:30:00+01:00', // the report: year 0 after the offset
      '9999-12-31T23:30:00-01:00', // year 10000 after the offset
      '0050-06-15T12:30:00Z', // read back as 1950 by the embedded database
      '0999-12-31T23:59:59.999Z', // just below the range
    ]) {
      await expect400(await s.api('/api/ingest/events', { json: event({ timestamp }) }), 'timestamp');
    }
    // Not a date-time at all (no such month, minute or offset): that alone is said, not the range as well.
    for (const timestamp of ['2026-13-01T00:00:00Z', '2026-01-01T23:60:00Z', '2026-01-01T00:00:00+25:00', 'soon']) {
      const body = await expect400(await s.api('/api/ingest/events', { json: event({ timestamp }) }), 'timestamp');
      expect(body.issues?.map((i) => i.message)).toEqual(['must be an ISO-8601 date-time']);
    }
    expect(await eventCount()).toBe(before);
    await expect400(await s.api(`/api/ingest/events/${incidentId}?before=0001-01-01T00:30:00%2B01:00`), 'before');
    await expect400(await s.api(`/api/ingest/events/${incidentId}?since=0050-06-15T12:30:00Z`), 'since');
  });

  it('stores and reads back the range boundaries unchanged', async () => {
    for (const timestamp of ['1000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '1000-01-01T01:00:00+01:00']) {
      const res = await s.api('/api/ingest/events', { json: event({ timestamp, message: `at ${timestamp}` }) });
      expect(res.status).toBe(201);
      const created = (await res.json()) as { id: string; timestamp: string };
      const expected = new Date(timestamp).toISOString();
      expect(created.timestamp).toBe(expected);
      const stored = (await (await s.api(`/api/ingest/events/${incidentId}?limit=1000`)).json()) as Array<{
        id: string;
        timestamp: string;
      }>;
      expect(stored.find((e) => e.id === created.id)?.timestamp).toBe(expected);
    }
  });

  it('refuses metadata nested deeper than the limit (the report: 5,000 levels in 30 KB), accepts the limit itself', async () => {
    /** `levels` objects, one inside the other (metadata itself is level 1). */
    const nest = (levels: number): unknown => {
      let v: unknown = 'leaf';
      for (let i = 0; i < levels; i++) v = { a: v };
      return v;
    };
    const deep = `{"incident_id":"${incidentId}","event_type":"log","message":"x","metadata":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    const res = await s.api('/api/ingest/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: deep,
    });
    const body = await expect400(res);
    expect(body.message).toContain(`nests deeper than ${MAX_METADATA_DEPTH} levels`);
    expect((await s.api('/api/ingest/events', { json: event({ metadata: nest(MAX_METADATA_DEPTH) }) })).status).toBe(
      201,
    );
    await expect400(await s.api('/api/incidents/', { json: { title: 't', metadata: nest(MAX_METADATA_DEPTH + 1) } }));
  });

  it('refuses a metadata number too large for a double (1e400 would be stored as null)', async () => {
    const body = `{"incident_id":"${incidentId}","event_type":"log","message":"x","metadata":{"big":1e400}}`;
    const res = await s.api('/api/ingest/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect((await expect400(res, 'metadata.big')).issues?.[0]?.message).toBe('must be a finite number');
  });

  it('refuses metadata with more entries than the limit, accepts the limit itself', async () => {
    // One key and n - 1 zeros: entries with little text (text has its own limit, below).
    const wide = (n: number) => ({ k: Array<number>(n - 1).fill(0) });
    expect((await s.api('/api/ingest/events', { json: event({ metadata: wide(MAX_METADATA_ENTRIES) }) })).status).toBe(
      201,
    );
    const body = await expect400(
      await s.api('/api/ingest/events', { json: event({ metadata: wide(MAX_METADATA_ENTRIES + 1) }) }),
    );
    expect(body.message).toContain(`more than ${MAX_METADATA_ENTRIES}`);
  });

  it('refuses metadata with more text than the limit (keys and strings, all levels), accepts the limit itself', async () => {
    const before = await eventCount();
    // The reported case: 8 MB of metadata, under the body limit, made lists too large to answer.
    const huge = { blob: 'x'.repeat(8_000_000) };
    for (const [path, json] of [
      ['/api/ingest/events', event({ metadata: huge })],
      ['/api/ingest/events/batch', [event({ metadata: huge })]],
      ['/api/incidents/', { title: 'huge', metadata: huge }],
    ] as const) {
      const body = await expect400(await s.api(path, { json }));
      expect(body.issues?.[0]?.message, path).toBe(
        `takes metadata past ${MAX_METADATA_TEXT} characters of keys, text and numbers in all`,
      );
    }
    expect(await eventCount()).toBe(before);
    // Exactly the limit: the key `k` and a string one shorter.
    const exactly = { k: 'x'.repeat(MAX_METADATA_TEXT - 1) };
    expect((await s.api('/api/ingest/events', { json: event({ metadata: exactly }) })).status).toBe(201);
    // One more, spread over levels and keys: the issue names where the sum crossed the limit.
    const half = Math.floor(MAX_METADATA_TEXT / 2);
    const spread = { a: { b: ['x'.repeat(half)] }, c: 'y'.repeat(MAX_METADATA_TEXT - half - 3 + 1) };
    const err = await expect400(await s.api('/api/ingest/events', { json: event({ metadata: spread }) }));
    expect(err.issues?.[0]?.path).toBe('metadata.c');
    // Crossed on a key: the issue names that key.
    const onKey = { k: 'x'.repeat(MAX_METADATA_TEXT - 1), ab: 1 };
    expect(
      (await expect400(await s.api('/api/ingest/events', { json: event({ metadata: onKey }) }))).issues?.[0]?.path,
    ).toBe('metadata.ab');
    // Numbers count as PostgreSQL's jsonb writes them: 1.2345678901234567e308 is 309 digits on every read (a review
    // stored 3.1 MB of them from a 250 KB body).
    const big = 1.2345678901234567e308;
    const fits = Math.floor((MAX_METADATA_TEXT - 1) / 309);
    expect(
      (await s.api('/api/ingest/events', { json: event({ metadata: { n: Array(fits).fill(big) } }) })).status,
    ).toBe(201);
    const numbers = await expect400(
      await s.api('/api/ingest/events', { json: event({ metadata: { n: Array(fits + 1).fill(big) } }) }),
    );
    expect(numbers.issues?.[0]?.path).toBe(`metadata.n[${fits}]`);
    expect(await eventCount()).toBe(before + 2);
  });

  it('refuses a __proto__ key by name at any depth, and keeps constructor and prototype exactly as sent', async () => {
    const before = await eventCount();
    for (const metadata of ['{"__proto__":{"x":1}}', '{"a":{"b":[{"__proto__":1}]}}']) {
      const body = `{"incident_id":"${incidentId}","event_type":"log","message":"x","metadata":${metadata}}`;
      const res = await s.api('/api/ingest/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const err = await expect400(res);
      expect(err.issues?.[0]?.path).toMatch(/^metadata\..*__proto__$|^metadata\.__proto__$/);
    }
    expect(await eventCount()).toBe(before);
    const kept = { constructor: 'c', prototype: { constructor: 1 }, toString: 'ts' };
    const created = (await (await s.api('/api/incidents/', { json: { title: 'keys', metadata: kept } })).json()) as {
      id: string;
      metadata: unknown;
    };
    expect(created.metadata).toEqual(kept);
    expect(((await (await s.api(`/api/incidents/${created.id}`)).json()) as { metadata: unknown }).metadata).toEqual(
      kept,
    );
  });

  it('refuses a body that is not UTF-8 (a lone 0xE9 in a string) on REST and tRPC, storing nothing', async () => {
    const before = await eventCount();
    const body = rawBody(`{"incident_id":"${incidentId}","event_type":"log","message":"caf`, [0xe9], `"}`);
    const res = await s.api('/api/ingest/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect((await expect400(res)).message).toContain('UTF-8');
    const batch = rawBody(`[{"incident_id":"${incidentId}","event_type":"log","message":"caf`, [0xe9], `"}]`);
    await expect400(
      await s.api('/api/ingest/events/batch', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: batch,
      }),
    );
    const trpc = await s.api('/trpc/events.ingest', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(trpc.status).toBe(400);
    expect(await eventCount()).toBe(before);
    await expect400(await s.api(`/api/incidents/?tag=caf%E9`));
  });

  it('refuses a compressed body with 415 naming Content-Encoding (it was called invalid UTF-8), storing nothing', async () => {
    const before = await eventCount();
    const json = JSON.stringify(event({ message: 'zipped' }));
    const gzipped = gzipSync(json);
    for (const [path, coding] of [
      ['/api/ingest/events', 'gzip'],
      ['/api/ingest/events/batch', 'br'],
      ['/api/incidents/', 'gzip, identity'],
      ['/trpc/events.ingest', 'gzip'],
    ] as const) {
      const res = await s.api(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': coding },
        body: path.endsWith('batch') ? gzipSync(`[${json}]`) : gzipped,
      });
      expect(res.status, path).toBe(415);
      expect(res.headers.get('accept-encoding'), path).toBe('identity');
      const text = await res.text();
      expect(text, path).toContain(`Content-Encoding ${coding.replace(', identity', '')} is not supported`);
    }
    expect(await eventCount()).toBe(before);
    // `identity` is no coding at all.
    const plain = await s.api('/api/ingest/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
      body: json,
    });
    expect(plain.status).toBe(201);
  });

  it('takes query integers in plain decimal only, and one value per parameter', async () => {
    for (const limit of ['0x10', '1e2', '%205', '+5', '-0', '5.0', '']) {
      await expect400(await s.api(`/api/ingest/events/${incidentId}?limit=${limit}`), 'limit');
    }
    expect((await s.api(`/api/ingest/events/${incidentId}?limit=16`)).status).toBe(200);
    // Leading zeros are plain decimal digits too (a new user's `?limit=05`), however many.
    for (const limit of ['05', '0000000000000000000005', '00']) {
      const res = await s.api(`/api/incidents/?limit=${limit}`);
      if (limit === '00') await expect400(res, 'limit');
      else expect(res.status).toBe(200);
    }
    // Too many digits to read exactly is too large, and said so; 15 digits are read and compared.
    for (const [limit, max] of [
      ['99999999999999999999', 1000],
      ['10000000000000000', 1000],
      ['9999999999999999', 1000],
      ['999999999999999', 1000],
    ] as const) {
      const big = await expect400(await s.api(`/api/ingest/events/${incidentId}?limit=${limit}`), 'limit');
      expect(big.issues?.map((i) => i.message)).toEqual([`must be at most ${max}`]);
    }
    const offset = await expect400(await s.api(`/api/incidents/?offset=123456789012345678901234567890`), 'offset');
    expect(offset.issues?.map((i) => i.message)).toEqual(['must be at most 1000000']);
    const twice = await expect400(await s.api(`/api/incidents/?limit=1&limit=2`));
    expect(twice.message).toContain('"limit" is given more than once');
    await expect400(await s.api(`/api/incidents/?status=open&status=closed`));
    // tRPC sends numbers as JSON numbers, which stay accepted.
    expect(await s.trpc.incidents.list.query({ limit: 1 })).toHaveLength(1);
  });

  it('refuses a field given in the body and in the query string or path with different values (the query won)', async () => {
    const id = (await createIncident(s)).id;
    const patch = (query: string, json: unknown) =>
      s.api(`/api/incidents/${id}/status${query}`, { method: 'PATCH', ...(json === undefined ? {} : { json }) });
    const conflict = await patch('?status=resolved', { status: 'investigating' });
    expect(conflict.status).toBe(400);
    expect(((await conflict.json()) as { message: string }).message).toMatch(
      /^status is given in the body and in the query/,
    );
    const other = await patch('?status=identified', { incident_id: '00000000-0000-4000-8000-000000000000' });
    expect(other.status).toBe(400);
    expect(((await other.json()) as { message: string }).message).toMatch(
      /^incident_id is given in the body and in the path/,
    );
    // A path's id again in the query string, naming another: it changed the path's incident.
    const viaQuery = await patch(`?status=identified&incident_id=00000000-0000-4000-8000-000000000000`, undefined);
    expect(viaQuery.status).toBe(400);
    expect(((await viaQuery.json()) as { message: string }).message).toMatch(
      /^incident_id is given in the query string and in the path/,
    );
    expect(((await (await s.api(`/api/incidents/${id}`)).json()) as { status: string }).status).toBe('open');
    // The same value twice is no conflict.
    expect((await patch('?status=investigating', { status: 'investigating' })).status).toBe(200);
  });

  it('refuses a field a change does not take, in the query string or a body (a misspelt actor made it "system")', async () => {
    const created = await createIncident(s);
    const id = created.id;
    for (const [path, json] of [
      [`/api/incidents/${id}/status?status=investigating&actr=alice`, undefined],
      [`/api/incidents/${id}/severity?severity=high`, { sevirity: 'critical' }],
    ] as const) {
      const res = await s.api(path, { method: 'PATCH', ...(json ? { json } : {}) });
      expect(res.status, path).toBe(400);
      expect(JSON.stringify(await res.json()), path).toMatch(/actr|sevirity/);
    }
    const after = (await (await s.api(`/api/incidents/${id}`)).json()) as { status: string; severity: string };
    expect(after).toMatchObject({ status: created.status, severity: created.severity });
    // And a change naming only what it takes still works, actor included.
    expect(
      (await s.api(`/api/incidents/${id}/status?status=investigating&actor=alice`, { method: 'PATCH' })).status,
    ).toBe(200);
  });

  it('refuses a field a configuring body does not know, naming it, and writes nothing (it used to be dropped)', async () => {
    const ends_at = new Date(Date.now() + 3_600_000).toISOString();
    const count = async (path: string): Promise<number> => ((await (await s.api(path)).json()) as unknown[]).length;
    const before = {
      incidents: await count('/api/incidents/?limit=500'),
      keys: await count('/api/keys'),
      integrations: await count('/api/integrations/'),
      silences: await count('/api/silences/'),
    };
    // The walkthrough's cases: a typo that left severity at medium, Alertmanager's camelCase isRegex stored as an
    // equality matcher, an expires_at that made a key that never expires, a misspelt settings.
    const cases: Array<[path: string, body: object, issue: string]> = [
      ['/api/incidents/', { title: 't', sevirity: 'critical' }, 'sevirity'],
      ['/api/keys', { name: 'strict-key', scopes: ['read'], expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
      ['/api/integrations/', { name: 'strict-int', kind: 'generic', setings: { min_alerts: 5 } }, 'setings'],
      [
        '/api/silences/',
        { matchers: [{ name: 'env', value: 'prod', isRegex: true }], ends_at, comment: 'c', created_by: 'x' },
        'matchers[0].isRegex',
      ],
      [
        '/api/silences/',
        { matchers: [{ name: 'env', value: 'prod' }], ends_at, comment: 'c', created_by: 'x', endsAt: ends_at },
        'endsAt',
      ],
    ];
    for (const [path, body, issue] of cases) {
      const refused = await expect400(await s.api(path, { json: body }), issue);
      expect(refused.issues).toContainEqual({ path: issue, message: 'unknown field' });
    }
    // Two unknown fields: two issues, each at its field.
    const two = await expect400(await s.api('/api/incidents/', { json: { title: 't', a: 1, b: 2 } }));
    expect(two.issues).toEqual([
      { path: 'a', message: 'unknown field' },
      { path: 'b', message: 'unknown field' },
    ]);
    expect({
      incidents: await count('/api/incidents/?limit=500'),
      keys: await count('/api/keys'),
      integrations: await count('/api/integrations/'),
      silences: await count('/api/silences/'),
    }).toEqual(before);
    // The boundary: telemetry keeps what it knows and drops the rest, so a sender adding a field loses no events.
    const ingested = await s.api('/api/ingest/events', { json: event({ host: 'web-1' }) });
    expect(ingested.status).toBe(201);
    expect(await ingested.json()).not.toHaveProperty('host');
  });

  it('refuses a silence whose matchers all match the empty string (it would silence every alert), as Alertmanager does', async () => {
    const ends_at = new Date(Date.now() + 3_600_000).toISOString();
    const silence = (matchers: object[]) =>
      s.api('/api/silences/', { json: { matchers, ends_at, comment: 'c', created_by: 'x' } });
    for (const matchers of [
      [{ name: 'a', value: '.*', is_regex: true }],
      [{ name: 'a', value: 'x', is_equal: false }],
      [{ name: 'a', value: '' }],
      [
        { name: 'a', value: '.*', is_regex: true },
        { name: 'b', value: 'x|', is_regex: true },
      ],
    ]) {
      const body = await expect400(await silence(matchers), 'matchers');
      expect(body.message).toBe(
        'invalid input: matchers: at least one matcher must not match the empty string (these would silence every alert)',
      );
    }
    // One matcher that needs a label value is enough, as in Alertmanager.
    for (const matchers of [
      [{ name: 'a', value: '.+', is_regex: true }],
      [
        { name: 'a', value: '.*', is_regex: true },
        { name: 'env', value: 'prod' },
      ],
      [{ name: 'a', value: '', is_equal: false }],
    ]) {
      expect((await silence(matchers)).status, JSON.stringify(matchers)).toBe(201);
    }
  });
});
