// Access control, generated from the procedures themselves: every procedure declares a scope, and every operation in
// openapi.json (and every tRPC procedure) answers 401 without a key, 403 to each key lacking its scope, and neither to
// a key holding it. Then: revoked and expired keys, the admin API, actors taken from the key, and the start-up check.
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scope } from '../../schema/index.js';
import { grants } from '../../src/domain/keys.js';
import { OPENAPI_PATH } from '../../src/rest/document.js';
import { createAppRouter } from '../../src/routers/index.js';
import {
  bearer,
  createIncident,
  createTestKey,
  POSTGRES_URL,
  startTestApp,
  startTestServer,
  type TestServer,
} from './harness.js';

const MISSING = '123e4567-e89b-12d3-a456-426614174000';
const SCOPES = Scope.options;

let s: TestServer;
const keys = {} as Record<Scope, string>;
beforeAll(async () => {
  s = await startTestApp();
});
afterAll(() => s.stop());

interface Operation {
  method: string;
  path: string;
  scope: Scope;
}

async function operations(): Promise<Operation[]> {
  const doc = JSON.parse(await readFile(OPENAPI_PATH, 'utf8')) as {
    paths: Record<string, Record<string, { security?: { bearerAuth?: string[] }[] }>>;
  };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      // The alert webhooks authenticate with their integration's secret, not API keys (alerts.test.ts covers them).
      if (!op.security?.some((r) => r.bearerAuth !== undefined)) continue;
      const scope = Scope.parse(op.security?.[0]?.bearerAuth?.[0]);
      ops.push({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, MISSING), scope });
    }
  }
  return ops;
}

/** One request to an operation: a body where it takes one (`{}` or `[]`: input errors are 400, not 401/403). */
function call(op: Operation, headers: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { method: op.method, headers: { ...headers } };
  if (op.method === 'POST' || op.method === 'PUT' || op.method === 'PATCH') {
    init.body = op.path.endsWith('/batch') ? '[]' : '{}';
    init.headers = { ...headers, 'content-type': 'application/json' };
  }
  return Promise.resolve(s.app.app.request(`/api${op.path}`, init));
}

/** Every tRPC procedure with its type and meta, walked through the router's public shape (as src/rest/routes.ts). */
function procedures(): { path: string; type: string; scope: unknown }[] {
  const out: { path: string; type: string; scope: unknown }[] = [];
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('_') || key === 'createCaller') continue;
      const path = prefix ? `${prefix}.${key}` : key;
      if (typeof value === 'function' && '_def' in value) {
        const def = value._def as { type: string; meta?: { scope?: unknown } };
        out.push({ path, type: def.type, scope: def.meta?.scope });
      } else if (typeof value === 'object' && value !== null) walk(value as Record<string, unknown>, path);
    }
  };
  walk(createAppRouter({ validateOutput: true }) as unknown as Record<string, unknown>, '');
  expect(out.length).toBeGreaterThan(15);
  return out;
}

describe('access', () => {
  it('is open while no key exists, on loopback (the README commands work untouched)', async () => {
    expect((await s.api('/api/incidents/')).status).toBe(200);
    await createIncident(s);
    // Nothing to sign in as: the console offers every control.
    expect(await s.trpc.keys.whoami.query()).toBeNull();
  });

  it('refuses to listen beyond loopback with no key, naming the command that creates one', async () => {
    const shared = POSTGRES_URL ? { databaseUrl: s.database.url } : {};
    await expect(startTestServer({ HOST: '0.0.0.0' }, shared)).rejects.toThrow(/warroom keys create --name/);
    const off = await startTestServer({ HOST: '0.0.0.0', AUTH: 'off' }, shared);
    await off.stop();
  });

  it('every procedure declares a scope', () => {
    for (const p of procedures())
      expect({ path: p.path, ok: Scope.safeParse(p.scope).success }).toEqual({ path: p.path, ok: true });
  });

  it('a key makes every operation need one: 401, 403 for each lacking scope, else through', async () => {
    for (const scope of SCOPES) keys[scope] = await createTestKey(s, `key-${scope}`, [scope]);
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(10);
    for (const op of ops) {
      const anonymous = await call(op);
      expect({ op, status: anonymous.status }).toEqual({ op, status: 401 });
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
      for (const held of SCOPES) {
        const res = await call(op, bearer(keys[held]));
        const label = { op, held, status: res.status };
        if (grants([held], op.scope)) expect(label.status, JSON.stringify(label)).not.toBeOneOf([401, 403]);
        else {
          expect(label).toEqual({ ...label, status: 403 });
          expect(((await res.json()) as { message: string }).message).toContain(`\`${op.scope}\``);
        }
      }
    }
  });

  it('keys.whoami names the key and every scope it grants, so the console offers only what the key may do', async () => {
    const whoami = (key: string) =>
      Promise.resolve(s.app.app.request('/trpc/keys.whoami', { headers: bearer(key) })).then(async (res) => ({
        status: res.status,
        body: (await res.json()) as { result?: { data: unknown } },
      }));
    expect((await whoami(keys.read)).body.result?.data).toEqual({ name: 'key-read', scopes: ['read'] });
    expect((await whoami(keys.write)).body.result?.data).toEqual({ name: 'key-write', scopes: ['read', 'write'] });
    expect((await whoami(keys.admin)).body.result?.data).toEqual({
      name: 'key-admin',
      scopes: ['ingest', 'read', 'write', 'admin'],
    });
    // An ingest-only key cannot see the console at all: refused, as any read.
    expect((await whoami(keys.ingest)).status).toBe(403);
    expect((await Promise.resolve(s.app.app.request('/trpc/keys.whoami'))).status).toBe(401);
  });

  it('the same over tRPC, for every procedure', async () => {
    for (const p of procedures()) {
      if (p.type === 'subscription') continue;
      const scope = Scope.parse(p.scope);
      const request = (headers: Record<string, string>) =>
        p.type === 'query'
          ? Promise.resolve(s.app.app.request(`/trpc/${p.path}?input=${encodeURIComponent('{}')}`, { headers }))
          : Promise.resolve(
              s.app.app.request(`/trpc/${p.path}`, {
                method: 'POST',
                headers: { ...headers, 'content-type': 'application/json' },
                body: '{}',
              }),
            );
      const anonymous = await request({});
      expect({ path: p.path, status: anonymous.status }).toEqual({ path: p.path, status: 401 });
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
      for (const held of SCOPES) {
        const { status } = await request(bearer(keys[held]));
        if (grants([held], scope)) expect(status, `${p.path} ${held}`).not.toBeOneOf([401, 403]);
        else expect(status, `${p.path} ${held}`).toBe(403);
      }
    }
  });

  it('refuses unknown, revoked and expired keys at the next request', async () => {
    const unknown = await s.api('/api/incidents/', { headers: bearer(`wr_${'A'.repeat(43)}`) });
    expect(unknown.status).toBe(401);
    const key = await createTestKey(s, 'soon-revoked', ['read']);
    expect((await s.api('/api/incidents/', { headers: bearer(key) })).status).toBe(200);
    const revoked = await s.api('/api/keys/soon-revoked', { method: 'DELETE', headers: bearer(keys.admin) });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { revoked_at: string | null }).revoked_at).not.toBeNull();
    const after = await s.api('/api/incidents/', { headers: bearer(key) });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { message: string }).message).toMatch(/revoked/);

    const expiring = await createTestKey(s, 'expiring', ['read'], '1d');
    await sql`update api_keys set expires_at = now() - interval '1 second' where name = 'expiring'`.execute(
      s.database.db,
    );
    const expired = await s.api('/api/incidents/', { headers: bearer(expiring) });
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as { message: string }).message).toMatch(/expired/);
  });

  it.runIf(POSTGRES_URL)('a key revoked on one instance stops working on another at its next request', async () => {
    const other = await startTestApp({}, { databaseUrl: s.database.url });
    try {
      const key = await createTestKey(s, 'two-instances', ['read']);
      expect((await other.api('/api/incidents/', { headers: bearer(key) })).status).toBe(200);
      expect((await other.api('/api/incidents/')).status).toBe(401);
      expect((await s.api('/api/keys/two-instances', { method: 'DELETE', headers: bearer(keys.admin) })).status).toBe(
        200,
      );
      expect((await other.api('/api/incidents/', { headers: bearer(key) })).status).toBe(401);
    } finally {
      await other.stop();
    }
  });

  it('the admin API creates a key shown once, lists keys without secrets, and 409s a taken name', async () => {
    const created = await s.api('/api/keys', {
      json: { name: 'ci', scopes: ['ingest'], expires_in: '90d' },
      headers: bearer(keys.admin),
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { key: string; prefix: string; expires_at: string };
    expect(body.key).toMatch(/^wr_/);
    expect(body.key.slice(3, 15)).toBe(body.prefix);
    expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now() + 89 * 86_400_000);
    const again = await s.api('/api/keys', { json: { name: 'ci', scopes: ['read'] }, headers: bearer(keys.admin) });
    expect(again.status).toBe(409);
    // A name shaped like a key id (any case) would make DELETE /api/keys/{name or id} revoke that other key: refused.
    const listed = (await (await s.api('/api/keys', { headers: bearer(keys.admin) })).json()) as { id: string }[];
    expect(listed.length).toBeGreaterThan(0);
    for (const name of [listed[0]?.id ?? '', (listed[0]?.id ?? '').toUpperCase()]) {
      const idShaped = await s.api('/api/keys', { json: { name, scopes: ['read'] }, headers: bearer(keys.admin) });
      expect(idShaped.status, name).toBe(400);
      expect(((await idShaped.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['name']);
    }
    // The boundary: hex and dashes that are not a UUID's shape are a name like any other.
    const almost = await s.api('/api/keys', {
      json: { name: '0198a3c2-7f1e-7b2a-9c4d-5e6f7a8b9c0', scopes: ['read'] },
      headers: bearer(keys.admin),
    });
    expect(almost.status).toBe(201);
    const list = await s.api('/api/keys', { headers: bearer(keys.admin) });
    const text = await list.text();
    expect(text).not.toContain(body.key);
    expect(text).not.toContain('hash');
    expect((JSON.parse(text) as { name: string }[]).map((k) => k.name)).toContain('ci');
    const ingest = await s.api('/api/ingest/events', {
      json: { incident_id: MISSING, event_type: 'log', message: 'x' },
      headers: bearer(body.key),
    });
    expect(ingest.status).toBe(404);
  });

  it('records the key as the actor, whatever actor the caller names', async () => {
    const incident = await createIncident(s, { title: 'who did it' }).catch(async () => {
      const res = await s.api('/api/incidents/', { json: { title: 'who did it' }, headers: bearer(keys.write) });
      return (await res.json()) as { id: string };
    });
    const moved = await s.api(`/api/incidents/${incident.id}/status?status=investigating&actor=mallory`, {
      method: 'PATCH',
      headers: bearer(keys.write),
    });
    expect(moved.status).toBe(200);
    const timeline = (await (
      await s.api(`/api/incidents/${incident.id}/timeline`, { headers: bearer(keys.read) })
    ).json()) as { entry_type: string; actor: string }[];
    expect(timeline.find((e) => e.entry_type === 'status_change')?.actor).toBe('key-write');
    const created = await s.api('/api/incidents/', { json: { title: 'made by a key' }, headers: bearer(keys.write) });
    const { id } = (await created.json()) as { id: string };
    const first = (await (await s.api(`/api/incidents/${id}/timeline`, { headers: bearer(keys.read) })).json()) as {
      entry_type: string;
      actor: string;
    }[];
    expect(first[0]?.actor).toBe('key-write');
    // An ingested batch records the key that sent it, on every event.
    const batch = [1, 2].map((i) => ({ incident_id: id, event_type: 'log', message: `m${i}` }));
    expect((await s.api('/api/ingest/events/batch', { json: batch, headers: bearer(keys.ingest) })).status).toBe(201);
    const actors = await s.database.db.selectFrom('events').select('actor').where('incident_id', '=', id).execute();
    expect(actors).toEqual([{ actor: 'key-ingest' }, { actor: 'key-ingest' }]);
    // A silence is made by the key, whatever created_by says (walkthrough, 2026-12-01).
    const silence = await s.api('/api/silences/', {
      json: {
        matchers: [{ name: 'env', value: 'staging' }],
        ends_at: new Date(Date.now() + 3_600_000).toISOString(),
        comment: 'maintenance',
        created_by: 'mallory',
      },
      headers: bearer(keys.write),
    });
    expect(silence.status).toBe(201);
    expect(((await silence.json()) as { created_by: string }).created_by).toBe('key-write');
  });

  it('keeps Idempotency-Keys apart per key: the same key string from two callers never replays the other', async () => {
    const post = (key: string, title: string) =>
      s.api('/api/incidents/', { json: { title }, headers: { ...bearer(key), 'idempotency-key': 'same-for-both' } });
    const first = await post(keys.write, 'from write');
    const second = await post(keys.admin, 'from admin');
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(((await second.json()) as { title: string }).title).toBe('from admin');
  });

  it('records when a key was last used, in a batch', async () => {
    await s.auth.flush();
    const row = await s.database.db
      .selectFrom('api_keys')
      .select('last_used_at')
      .where('name', '=', 'key-read')
      .executeTakeFirstOrThrow();
    expect(row.last_used_at).not.toBeNull();
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After and RateLimit headers past a key’s burst; ingest has its own bucket', async () => {
    const limited = await startTestApp({
      RATE_LIMIT_PER_SECOND: '0.5',
      RATE_LIMIT_BURST: '2',
      INGEST_RATE_LIMIT_PER_SECOND: '0.5',
      INGEST_RATE_LIMIT_BURST: '1',
    });
    try {
      const key = await createTestKey(limited, 'busy', ['admin']);
      const get = () => limited.api('/api/incidents/', { headers: bearer(key) });
      const first = await get();
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit-policy')).toBe('"default";q=2;w=4');
      expect(first.headers.get('ratelimit')).toBe('"default";r=1;t=0');
      expect((await get()).status).toBe(200);
      const refused = await get();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.headers.get('ratelimit')).toMatch(/^"default";r=0;t=\d+$/);
      expect(((await refused.json()) as { code: string }).code).toBe('TOO_MANY_REQUESTS');
      const ingest = await limited.api('/api/ingest/events', {
        json: { incident_id: MISSING, event_type: 'log', message: 'x' },
        headers: bearer(key),
      });
      expect(ingest.status).toBe(404);
      expect(ingest.headers.get('ratelimit-policy')).toMatch(/^"ingest"/);
      // A tRPC batch of more calls than the burst could never pass, even from a full bucket: a 400 saying so, not
      // a 429 that would have the client retry forever (walkthrough, 2026-12-01). At the burst it is rate-limited.
      const fresh = await createTestKey(limited, 'batcher', ['admin']);
      const batch = (n: number) =>
        limited.api(`/trpc/${Array.from({ length: n }, () => 'keys.whoami').join(',')}?batch=1&input=%7B%7D`, {
          headers: bearer(fresh),
        });
      const tooBig = await batch(3);
      expect(tooBig.status).toBe(400);
      // In tRPC's envelope, as every refusal on /trpc is (trpc-errors.test.ts).
      expect(((await tooBig.json()) as { error: { message: string } }).error.message).toMatch(
        /makes 3 calls; .* at most 2 .*split it/,
      );
      expect((await batch(2)).status).toBe(200);
      expect((await batch(2)).status).toBe(429);
      // Counted as tRPC counts them: after decodeURIComponent, so percent-encoded commas are calls too (security
      // review, 2026-12-02: `%2C` ran 250 calls for one token), and split only in a batch.
      const encoded = await createTestKey(limited, 'encoded', ['admin']);
      const encodedBatch = await limited.api('/trpc/keys.whoami%2Ckeys.whoami%2Ckeys.whoami?batch=1&input=%7B%7D', {
        headers: bearer(encoded),
      });
      expect(encodedBatch.status).toBe(400);
      expect(await encodedBatch.text()).toContain('makes 3 calls');
      // An ingest beside a create is charged to the default bucket (2 tokens here), not to ingest's (a burst of 1,
      // which would refuse two calls outright).
      const mixer = await createTestKey(limited, 'mixer', ['admin']);
      const mixed = await limited.api('/trpc/events.ingest%2Cincidents.create?batch=1', {
        method: 'POST',
        json: { 0: { incident_id: MISSING, event_type: 'log', message: 'x' }, 1: { title: 'x' } },
        headers: bearer(mixer),
      });
      expect(mixed.status).toBe(207);
      expect((await limited.api('/api/incidents/', { headers: bearer(mixer) })).status).toBe(429);
      const notBatch = await limited.api('/trpc/keys.whoami,keys.whoami,keys.whoami', { headers: bearer(encoded) });
      expect(notBatch.status).toBe(404);
    } finally {
      await limited.stop();
    }
  });
});
