// What bounds the silences an instance holds compiled (security review, 2026-12-02): a silence whose regexes take
// longer than SILENCE_COMPILE_BUDGET_MS to compile is refused, and at most MAX_SILENCES may be pending or active.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SILENCES, SILENCE_COMPILE_BUDGET_MS } from '../../src/domain/integrations.js';
import { DB_LABEL, startTestServer, type ListeningTestServer } from './harness.js';

let s: ListeningTestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

const inAMinute = () => new Date(Date.now() + 60_000).toISOString();
const silenceBody = (matchers: unknown[]) => ({ matchers, ends_at: inAMinute(), comment: 'c', created_by: 'me' });
const unended = async (): Promise<number> => {
  const { rows } = await sql<{ n: string }>`select count(*) as n from silences where ends_at > now()`.execute(
    s.database.db,
  );
  return Number(rows[0]?.n);
};

describe(`silence limits (${DB_LABEL})`, () => {
  it('refuses a silence whose regexes take too long to compile, naming the budget, and stores nothing', async () => {
    const before = await unended();
    // 50 matchers (the most a silence takes), each a Unicode class repeated 99 times: each passes the per-pattern rules (RE2 syntax, no repeat
    // over {100}, 1024 characters) but re2js takes tens of milliseconds to compile each.
    const matchers = Array.from({ length: 50 }, (_, i) => ({
      name: `n${i}`,
      value: `\\p{L}{99}z${i}`,
      is_regex: true,
    }));
    const res = await s.api('/api/silences/', { json: silenceBody(matchers) });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toContain('matchers');
    expect(body).toContain(`at most ${SILENCE_COMPILE_BUDGET_MS} ms`);
    expect(await unended()).toBe(before);
    // The boundary: one such matcher is well within the budget.
    const one = await s.api('/api/silences/', { json: silenceBody(matchers.slice(0, 1)) });
    expect(one.status).toBe(201);
  });

  it(`refuses a new silence with 409 once ${MAX_SILENCES} are pending or active, and takes one after one ends`, async () => {
    const have = await unended();
    // Pending and active ones both count; ended ones do not.
    await sql`insert into silences (matchers, starts_at, ends_at, comment, created_by)
      select '[{"name":"filler","value":"x","is_regex":false,"is_equal":true}]'::jsonb,
             now() + case when g % 2 = 0 then interval '1 hour' else interval '0' end,
             now() + interval '2 hours', 'filler', 'test'
      from generate_series(1, ${MAX_SILENCES - have - 1}) g`.execute(s.database.db);
    await sql`insert into silences (matchers, starts_at, ends_at, comment, created_by)
      values ('[{"name":"filler","value":"y","is_regex":false,"is_equal":true}]'::jsonb, now() - interval '2 hours',
              now() - interval '1 hour', 'ended', 'test')`.execute(s.database.db);
    const last = await s.api('/api/silences/', { json: silenceBody([{ name: 'env', value: 'last' }]) });
    expect(last.status).toBe(201);
    const over = await s.api('/api/silences/', { json: silenceBody([{ name: 'env', value: 'over' }]) });
    expect(over.status).toBe(409);
    expect(await over.text()).toContain(`${MAX_SILENCES} silences are pending or active`);
    expect(await unended()).toBe(MAX_SILENCES);
    const { id } = (await last.json()) as { id: string };
    expect((await s.api(`/api/silences/${id}`, { method: 'DELETE' })).status).toBe(200);
    const again = await s.api('/api/silences/', { json: silenceBody([{ name: 'env', value: 'again' }]) });
    expect(again.status).toBe(201);
  });
});
