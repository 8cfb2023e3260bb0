// REST: the documented incident endpoints over real HTTP, happy and error paths, and the status lifecycle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Action, Incident, TimelineEntry } from '../../schema/index.js';
import { DB_LABEL, createIncident, newIncident, startTestApp, type TestServer } from './harness.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestApp();
});
afterAll(() => s.stop());

const MISSING = '123e4567-e89b-12d3-a456-426614174000';

describe(`incidents over REST (${DB_LABEL})`, () => {
  it('creates an incident with the documented shape and 201', async () => {
    const res = await s.api('/api/incidents/', { json: newIncident });
    expect(res.status).toBe(201);
    const body = Incident.parse(await res.json());
    expect(body).toMatchObject({
      title: newIncident.title,
      description: newIncident.description,
      status: 'open',
      severity: 'high',
      source: 'datadog',
      tags: ['database', 'postgres'],
      metadata: {},
      resolved_at: null,
      ai_summary: null,
      root_cause: null,
      suggested_actions: [],
      mttr_minutes: null,
    });
    expect(body.created_at).toMatch(/Z$/);
  });

  it('400s on text PostgreSQL cannot store, naming the field', async () => {
    const res = await s.api('/api/incidents/', { json: { title: 'nul \u0000 here', metadata: { k: ['\udc00'] } } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual(['metadata.k[0]', 'title']);
  });

  it('answers with and without the trailing slash', async () => {
    const a = await s.api('/api/incidents', { json: { title: 'no slash' } });
    expect(a.status).toBe(201);
    const inc = (await a.json()) as { id: string };
    expect((await s.api(`/api/incidents/${inc.id}/`)).status).toBe(200);
    expect((await s.api(`/api/incidents/${inc.id}`)).status).toBe(200);
    expect((await s.api('/api/incidents?limit=1')).status).toBe(200);
  });

  it('applies defaults to optional fields', async () => {
    const inc = await createIncident(s, { title: 'Minimal' });
    expect(inc).toMatchObject({ description: '', severity: 'medium', source: 'manual', tags: [], metadata: {} });
    // An empty source (a sender templating a missing value) names nothing: it takes the default too.
    for (const source of ['', '   '])
      expect(await createIncident(s, { title: 'Blank', source })).toMatchObject({ source: 'manual' });
    expect(await createIncident(s, { title: 'Named', source: '  grafana ' })).toMatchObject({ source: 'grafana' });
  });

  it('keeps a description as written but for trailing whitespace; title and source are trimmed', async () => {
    const inc = await createIncident(s, {
      title: '  Padded title ',
      description: '  indented first line\n  code  \n\n',
      source: ' dd ',
    });
    expect(inc).toMatchObject({ title: 'Padded title', description: '  indented first line\n  code', source: 'dd' });
    expect(await (await s.api(`/api/incidents/${inc.id}`)).json()).toMatchObject({
      description: '  indented first line\n  code',
    });
    expect(await createIncident(s, { title: 'Blank description', description: ' \n\t ' })).toMatchObject({
      description: '',
    });
  });

  it('sets the severity: an entry per change; the same one again changes nothing, on a closed incident too', async () => {
    const inc = await createIncident(s, { title: 'Severity', severity: 'low' });
    const patch = (severity: string) =>
      s.api(`/api/incidents/${inc.id}/severity?severity=${severity}`, { method: 'PATCH' });
    const entries = async () =>
      ((await (await s.api(`/api/incidents/${inc.id}/timeline`)).json()) as { title: string }[]).filter((e) =>
        e.title.startsWith('Severity changed'),
      ).length;
    expect((await patch('high')).status).toBe(200);
    const set = (await (await patch('high')).json()) as { updated_at: string; severity: string };
    expect(set.severity).toBe('high');
    expect(await entries()).toBe(1);
    expect((await s.api(`/api/incidents/${inc.id}/status?status=closed`, { method: 'PATCH' })).status).toBe(200);
    const closed = (await (await s.api(`/api/incidents/${inc.id}`)).json()) as { updated_at: string };
    const same = await patch('high');
    expect(same.status).toBe(200);
    expect(((await same.json()) as { updated_at: string }).updated_at).toBe(closed.updated_at);
    const other = await patch('critical');
    expect(other.status).toBe(409);
    expect(await entries()).toBe(1);
  });

  it('keeps tags as a set: a repeat (after trimming) is kept once, at its first place, in the answer and stored', async () => {
    const inc = await createIncident(s, { title: 'Tagged', tags: ['db', ' api ', 'db', 'api', 'DB'] });
    expect(inc).toMatchObject({ tags: ['db', 'api', 'DB'] });
    expect(await (await s.api(`/api/incidents/${inc.id}`)).json()).toMatchObject({
      tags: ['db', 'api', 'DB'],
    });
    // Filters are trimmed as stored text was: a padded tag or source finds it.
    const tag = `t-${Date.now()}`;
    const padded = await createIncident(s, { title: 'Padded', tags: [` ${tag} `], source: ' dd-source ' });
    const ids = async (q: string): Promise<string[]> =>
      ((await (await s.api(`/api/incidents/?${q}`)).json()) as { id: string }[]).map((i) => i.id);
    expect(await ids(`tag=%20${tag}%20`)).toEqual([padded.id]);
    expect(await ids(`tag=${tag}&source=%20dd-source%20`)).toEqual([padded.id]);
  });

  it('rejects bad input with 400 naming each field, and writes nothing', async () => {
    const before = (await (await s.api('/api/incidents/?limit=500')).json()) as unknown[];
    const res = await s.api('/api/incidents/', { json: { title: '', severity: 'catastrophic', tags: 'x' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string; issues: { path: string }[] };
    expect(body.code).toBe('BAD_REQUEST');
    expect(body.issues.map((i) => i.path).sort()).toEqual(['severity', 'tags', 'title']);
    expect(body.message).toContain('severity');
    expect(JSON.stringify(body)).not.toMatch(/\bat .*\.ts:\d+/);
    const after = (await (await s.api('/api/incidents/?limit=500')).json()) as unknown[];
    expect(after.length).toBe(before.length);
  });

  it('gets one incident, 404 naming an unknown id, 400 for a malformed id', async () => {
    const inc = await createIncident(s);
    const ok = await s.api(`/api/incidents/${inc.id}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { id: string }).id).toBe(inc.id);

    const missing = await s.api(`/api/incidents/${MISSING}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND', message: `incident ${MISSING} not found` });

    const bad = await s.api('/api/incidents/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('incident_id');
  });

  it('lists newest first with filters, limit and offset', async () => {
    const tag = `t-${Date.now()}`;
    const a = await createIncident(s, { title: 'A', severity: 'low', source: 'grafana', tags: [tag] });
    const b = await createIncident(s, { title: 'B', severity: 'critical', source: 'grafana', tags: [tag, 'other'] });
    const c = await createIncident(s, { title: 'C', severity: 'low', source: 'prometheus', tags: [tag] });
    await s.api(`/api/incidents/${c.id}/status?status=investigating`, { method: 'PATCH' });

    const ids = async (q: string): Promise<string[]> =>
      ((await (await s.api(`/api/incidents/?${q}`)).json()) as { id: string }[]).map((i) => i.id);

    expect(await ids(`tag=${tag}`)).toEqual([c.id, b.id, a.id]);
    expect(await ids(`tag=${tag}&severity=low`)).toEqual([c.id, a.id]);
    expect(await ids(`tag=${tag}&source=grafana`)).toEqual([b.id, a.id]);
    expect(await ids(`tag=${tag}&status=investigating`)).toEqual([c.id]);
    expect(await ids(`tag=${tag}&status=open&limit=1`)).toEqual([b.id]);
    expect(await ids(`tag=${tag}&status=open&limit=1&offset=1`)).toEqual([a.id]);
    expect(await ids('tag=no-such-tag')).toEqual([]);
  });

  it('rejects out-of-range list parameters', async () => {
    for (const q of ['limit=0', 'limit=501', 'limit=abc', 'offset=-1', 'status=sleeping', 'severity=huge']) {
      const res = await s.api(`/api/incidents/?${q}`);
      expect(res.status, q).toBe(400);
      const key = q.split('=')[0] ?? '';
      expect(((await res.json()) as { message: string }).message, q).toContain(key);
    }
    const all = (await (await s.api('/api/incidents/?limit=500')).json()) as unknown[];
    expect(all.length).toBeLessThanOrEqual(500);
  });

  it('defaults the list limit to 50', async () => {
    const tag = `many-${Date.now()}`;
    for (let i = 0; i < 55; i++) await createIncident(s, { title: `n${i}`, tags: [tag] });
    const list = (await (await s.api(`/api/incidents/?tag=${tag}`)).json()) as unknown[];
    expect(list).toHaveLength(50);
  });
});

describe(`status lifecycle over REST (${DB_LABEL})`, () => {
  const patch = (id: string, q: string) => s.api(`/api/incidents/${id}/status?${q}`, { method: 'PATCH' });

  it('moves forward, skipping steps, and writes a timeline entry with the actor', async () => {
    const inc = await createIncident(s);
    const res = await patch(inc.id, 'status=investigating&actor=alice');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('investigating');
    expect((await patch(inc.id, 'status=monitoring')).status).toBe(200);

    const timeline = TimelineEntry.array()
      .parse(await (await s.api(`/api/incidents/${inc.id}/timeline`)).json())
      .filter((t) => t.entry_type !== 'ai_analysis');
    expect(timeline.map((t) => [t.entry_type, t.title, t.actor])).toEqual([
      ['system_event', 'Incident created', 'datadog'],
      ['status_change', 'Status changed from open to investigating', 'alice'],
      ['status_change', 'Status changed from investigating to monitoring', 'system'],
    ]);
  });

  it('sets resolved_at and mttr_minutes on resolve, clears them on reopen', async () => {
    const inc = await createIncident(s);
    const resolved = Incident.parse(await (await patch(inc.id, 'status=resolved')).json());
    expect(resolved.resolved_at).not.toBeNull();
    const expected = (Date.parse(resolved.resolved_at ?? '') - Date.parse(resolved.created_at)) / 60_000;
    expect(resolved.mttr_minutes).toBeCloseTo(expected, 6);
    expect(resolved.mttr_minutes).toBeGreaterThanOrEqual(0);

    const reopened = Incident.parse(await (await patch(inc.id, 'status=investigating')).json());
    expect(reopened).toMatchObject({ status: 'investigating', resolved_at: null, mttr_minutes: null });
  });

  it('treats setting the current status as a no-op 200 without a timeline entry', async () => {
    const inc = await createIncident(s);
    const res = await patch(inc.id, 'status=open');
    expect(res.status).toBe(200);
    const timeline = TimelineEntry.array().parse(await (await s.api(`/api/incidents/${inc.id}/timeline`)).json());
    expect(timeline.filter((t) => t.entry_type === 'status_change')).toHaveLength(0);
  });

  it('refuses to leave closed (409) and to move an active incident backwards (409)', async () => {
    const inc = await createIncident(s);
    await patch(inc.id, 'status=identified');
    const back = await patch(inc.id, 'status=open');
    expect(back.status).toBe(409);
    expect(((await back.json()) as { message: string }).message).toContain('identified back to open');

    const closed = Incident.parse(await (await patch(inc.id, 'status=closed')).json());
    expect(closed.status).toBe('closed');
    expect(closed.resolved_at).not.toBeNull();
    const leave = await patch(inc.id, 'status=resolved');
    expect(leave.status).toBe(409);
    expect(await leave.json()).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('closed') });
    expect((await patch(inc.id, 'status=closed')).status).toBe(200);
  });

  it('validates the status query parameter', async () => {
    const inc = await createIncident(s);
    const missing = await s.api(`/api/incidents/${inc.id}/status`, { method: 'PATCH' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { message: string }).message).toContain('status');
    expect((await patch(inc.id, 'status=done')).status).toBe(400);
    expect((await patch(MISSING, 'status=resolved')).status).toBe(404);
  });

  it('serialises concurrent status changes so each lands once', async () => {
    const inc = await createIncident(s);
    const results = await Promise.all(
      ['investigating', 'identified', 'monitoring', 'resolved'].map((st) => patch(inc.id, `status=${st}`)),
    );
    for (const r of results) expect([200, 409]).toContain(r.status);
    const timeline = TimelineEntry.array().parse(await (await s.api(`/api/incidents/${inc.id}/timeline`)).json());
    const changes = timeline.filter((t) => t.entry_type === 'status_change');
    const ok = results.filter((r) => r.status === 200).length;
    expect(changes).toHaveLength(ok);
    // Each entry starts where the previous one ended: no lost update.
    for (let i = 1; i < changes.length; i++) {
      expect(changes[i]?.metadata.from).toBe(changes[i - 1]?.metadata.to);
    }
  });

  it('lists actions (empty for a new incident) and 404s for an unknown one', async () => {
    const inc = await createIncident(s);
    const res = await s.api(`/api/incidents/${inc.id}/actions`);
    expect(res.status).toBe(200);
    expect(Action.array().parse(await res.json())).toBeInstanceOf(Array);
    expect((await s.api(`/api/incidents/${MISSING}/actions`)).status).toBe(404);
    expect((await s.api(`/api/incidents/${MISSING}/timeline`)).status).toBe(404);
  });
});
