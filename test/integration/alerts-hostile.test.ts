// The alert webhooks under hostile and odd input, one test per class a fresh review found: deep nesting, times out
// of range, a silence regex built for catastrophic backtracking, secrets of the wrong kind on PagerDuty's path,
// methods, NUL in keys, unknown settings, non-http links, min_severity after the gate, and a large delivery on the
// embedded database that must not stall other requests.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Delivery, MAX_METADATA_TEXT } from '../../schema/index.js';
import { DB_LABEL, startTestServer, type ListeningTestServer } from './harness.js';
import { accepted, createIntegration, deliver, genericAlert, incident } from './alerts-helpers.js';

let s: ListeningTestServer;
beforeAll(async () => {
  s = await startTestServer({ ALERT_SWEEP_INTERVAL_MS: '200' });
});
afterAll(() => s.stop());

let n = 0;
const name = (what: string) => `${what}-${++n}`;

const amMessage = (alert: Record<string, unknown>) => ({
  version: '4',
  groupKey: name('{}:{alertname="X"}'),
  status: 'firing',
  alerts: [{ status: 'firing', labels: { alertname: 'X' }, annotations: {}, fingerprint: name('fp'), ...alert }],
});

describe(`hostile and odd deliveries (${DB_LABEL})`, () => {
  it('nesting 10,000 deep is a 400 naming the depth, not a stack overflow', async () => {
    const i = await createIntegration(s, { name: name('deep'), kind: 'alertmanager' });
    // Written as text: JSON.stringify itself overflows the stack at this depth.
    const deep = `${'{"d":'.repeat(10_000)}"x"${'}'.repeat(10_000)}`;
    const message = JSON.stringify(amMessage({ annotations: { summary: 's' } }));
    const body = message.replace('"annotations":', `"values":${deep},"annotations":`);
    const res = await s.api(`/api/integrations/${i.id}/alerts`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${i.secret}`, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('nests deeper than 64 levels');
    const pd = await createIntegration(s, { name: name('deep-pd'), kind: 'pagerduty' });
    const ev = `{"routing_key":"${pd.secret}","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info","custom_details":${deep}}}`;
    const pdRes = await s.api('/v2/enqueue', {
      method: 'POST',
      body: ev,
      headers: { 'content-type': 'application/json' },
    });
    expect(pdRes.status).toBe(400);
  });

  it('a sender’s time past 9999 or before 1000 is stored as unknown; in the generic format it is a 400', async () => {
    const i = await createIntegration(s, { name: name('time'), kind: 'alertmanager' });
    for (const startsAt of ['9999-12-31T23:00:00-05:00', '0999-12-31T23:00:00Z']) {
      const out = await accepted(s, i, amMessage({ startsAt }));
      expect(out.alerts[0]?.outcome).toBe('created');
    }
    const dd = await createIntegration(s, { name: name('time-dd'), kind: 'datadog' });
    const ddOut = await accepted(s, dd, {
      cycle_key: 'c1',
      transition: 'Triggered',
      title: 't',
      date: '253402300800000',
    });
    expect(ddOut.alerts[0]?.outcome).toBe('created');
    const g = await createIntegration(s, { name: name('time-g'), kind: 'generic' });
    const res = await deliver(s, g, { alerts: [genericAlert({ starts_at: '9999-12-31T23:00:00-05:00' })] });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('alerts[0].starts_at');
  });

  it('a silence regex built for catastrophic backtracking matches in linear time (RE2): nothing stalls', async () => {
    const created = await s.api('/api/silences/', {
      json: {
        // Does not match the empty string, so alerts without the label (every other test's) are not silenced.
        matchers: [{ name: 'redos', value: '(a|a)*b', is_regex: true }],
        ends_at: new Date(Date.now() + 60_000).toISOString(),
        comment: 'hostile',
        created_by: 'fuzz',
      },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    try {
      const i = await createIntegration(s, { name: name('redos'), kind: 'generic' });
      // On a backtracking engine this label takes hours to refuse; the test's timeout would catch it.
      const labels = { redos: `${'a'.repeat(4000)}!` };
      const out = await accepted(s, i, { alerts: [genericAlert({ group_key: name('g'), labels })] });
      expect(out.alerts[0]?.outcome).toBe('created');
    } finally {
      expect((await s.api(`/api/silences/${id}`, { method: 'DELETE' })).status).toBe(200);
    }
  });

  it('/v2/enqueue takes only a pagerduty integration’s secret as routing_key', async () => {
    const am = await createIntegration(s, { name: name('not-pd'), kind: 'alertmanager' });
    const graf = await createIntegration(s, {
      name: name('hmac'),
      kind: 'grafana',
      settings: { hmac: {} },
    });
    for (const secret of [am.secret, graf.secret]) {
      const res = await s.api('/v2/enqueue', {
        json: {
          routing_key: secret,
          event_action: 'trigger',
          payload: { summary: 's', source: 'x', severity: 'info' },
        },
      });
      expect(res.status).toBe(401);
    }
  });

  it('answers 405 with Allow for other methods, accepts PUT (Grafana’s option), 400 for a non-UUID id', async () => {
    const i = await createIntegration(s, { name: name('method'), kind: 'generic' });
    const get = await s.api(`/api/integrations/${i.id}/alerts`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, PUT');
    expect((await s.api('/v2/enqueue')).status).toBe(405);
    const put = await s.api(`/api/integrations/${i.id}/alerts`, {
      method: 'PUT',
      json: { alerts: [genericAlert({ group_key: name('g') })] },
      headers: { authorization: `Bearer ${i.secret}` },
    });
    expect(put.status).toBe(202);
    expect((await deliver(s, { id: 'nope', secret: i.secret }, { alerts: [] })).status).toBe(400);
  });

  it('opens the incident of an alert whose text is cut through an emoji (no half surrogate reaches the database)', async () => {
    const i = await createIntegration(s, { name: name('emoji'), kind: 'generic' });
    // The incident title is cut at 500 characters and the timeline's alert entry (`<title> (source <source>;
    // note=<note>)`) at 2,000; both cuts fall at an emoji. Characters are code points, as the API counts them.
    const title = `${'a'.repeat(499)}\u{1F6A8}\u{1F6A8} tail`;
    const labels = { note: `${'b'.repeat(1462)}\u{1F6A8}${'c'.repeat(20)}` };
    const good = genericAlert({ dedup_key: name('emoji-good'), group_key: name('g-good') });
    const out = await accepted(s, i, {
      alerts: [genericAlert({ dedup_key: name('emoji'), group_key: name('g-emoji'), title, labels }), good],
    });
    expect(out.alerts.map((a) => a.outcome)).toEqual(['created', 'created']);
    const opened = await incident(s, out.alerts[0]?.incident_id ?? '');
    expect(opened.title).toBe(`${'a'.repeat(499)}\u{1F6A8}`);
    const timeline = (await (await s.api(`/api/incidents/${opened.id}/timeline`)).json()) as Array<{
      title: string;
      description: string;
    }>;
    const firing = timeline.find((e) => e.title.startsWith('Alert firing'));
    const full = `${title} (source node-exporter; note=${labels.note})`;
    expect(firing?.description).toBe(Array.from(full).slice(0, 2000).join(''));
    expect(firing?.description).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it('a NUL in a label name is a 400 that does not echo it, and the delivery is logged', async () => {
    const i = await createIntegration(s, { name: name('nul'), kind: 'generic' });
    const res = await deliver(s, i, { alerts: [genericAlert({ labels: { 'alert\u0000name': 'x' } })] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string; issues: Array<{ path: string }> };
    // The key is shown escaped (`alert\u0000name`), never with the NUL itself.
    expect(body.message).not.toContain('\u0000');
    expect(body.issues[0]?.path).toBe('alerts[0].labels.alert\\u0000name');
    const d = Delivery.array().parse(await (await s.api(`/api/integrations/${i.id}/deliveries`)).json());
    expect(d[0]).toMatchObject({ status: 400 });
  });

  it("refused secrets cannot push a sender's deliveries out of the log: one a minute is logged, 100 kept apart", async () => {
    // The walkthrough: ~1000 requests with a wrong secret (anyone who knows the URL can send them; webhooks are not
    // rate limited) flushed every real delivery out of the last 1000, a database write each.
    const i = await createIntegration(s, { name: name('flush'), kind: 'generic' });
    expect((await deliver(s, i, { alerts: [genericAlert()] })).status).toBe(202);
    const refused = await Promise.all(
      Array.from({ length: 30 }, (_, k) =>
        deliver(s, i, { alerts: [genericAlert()] }, { authorization: `Bearer whk_wrong${k}` }),
      ),
    );
    for (const res of refused) expect(res.status).toBe(401);
    const listed = async () =>
      Delivery.array().parse(await (await s.api(`/api/integrations/${i.id}/deliveries?limit=1000`)).json());
    expect((await listed()).map((d) => d.status)).toEqual([401, 202]);

    // What is logged (one a minute per instance, so over hours) is pruned apart: the same statement the sweeper
    // runs, with small limits (1 delivery, 5 refusals), over rows written as the log writes them.
    const { insertDelivery, pruneDeliveries } = await import('../../src/db/integrations.js');
    for (let k = 0; k < 8; k++) {
      await insertDelivery(s.database.db, {
        id: randomUUID(),
        integration_id: i.id,
        path: `/api/integrations/${i.id}/alerts`,
        status: 401,
        size_bytes: 0,
        outcomes: [],
        error: 'the integration secret does not match',
        payload: '',
        payload_truncated: false,
      });
    }
    await pruneDeliveries(s.database.db, 1, 5);
    const kept = await listed();
    expect(kept.filter((x) => x.status === 202)).toHaveLength(1);
    expect(kept.filter((x) => x.status === 401)).toHaveLength(5);
  });

  it('refuses unknown settings, a changed kind, and non-http links (400 naming them)', async () => {
    const i = await createIntegration(s, { name: name('strict'), kind: 'generic' });
    const bogus = await s.api(`/api/integrations/${i.id}`, { method: 'PATCH', json: { settings: { bogus: 1 } } });
    expect(bogus.status).toBe(400);
    // At its path, as every body names an unknown field.
    expect(((await bogus.json()) as { issues: unknown[] }).issues).toEqual([
      { path: 'settings.bogus', message: 'unknown field' },
    ]);
    // Inside hmac too (walkthrough: a misspelt header name turned signing on, and the sender's Bearer deliveries got
    // 401), on PATCH and on create; nothing changes.
    const hmacTypo = await s.api(`/api/integrations/${i.id}`, {
      method: 'PATCH',
      json: { settings: { hmac: { timestmp_header: 'X-TS' } } },
    });
    expect(hmacTypo.status).toBe(400);
    expect(((await hmacTypo.json()) as { issues: unknown[] }).issues).toEqual([
      { path: 'settings.hmac.timestmp_header', message: 'unknown field' },
    ]);
    expect((await deliver(s, i, { alerts: [genericAlert()] })).status).toBe(202);
    const hmacCreate = await s.api('/api/integrations/', {
      json: { name: name('hmac'), kind: 'grafana', settings: { hmac: { signatur_header: 'X-Sig' } } },
    });
    expect(hmacCreate.status).toBe(400);
    expect(await hmacCreate.text()).toContain('settings.hmac.signatur_header');
    // severity_map: keys that are one key once trimmed and lowercased.
    for (const severity_map of [{ ' P2 ': 'critical', p2: 'low' }]) {
      const res = await s.api(`/api/integrations/${i.id}`, { method: 'PATCH', json: { settings: { severity_map } } });
      expect(res.status, JSON.stringify(severity_map)).toBe(400);
      expect(await res.text()).toContain('settings.severity_map');
    }
    const kind = await s.api(`/api/integrations/${i.id}`, { method: 'PATCH', json: { kind: 'datadog' } });
    expect(kind.status).toBe(400);
    expect(await kind.text()).toContain('kind');
    const typo = await s.api('/api/integrations/', {
      json: { name: name('x'), kind: 'generic', settings: { min_alert: 2 } },
    });
    expect(typo.status).toBe(400);
    const link = await deliver(s, i, {
      alerts: [genericAlert({ links: [{ href: 'javascript:alert(1)', text: 'x' }] })],
    });
    expect(link.status).toBe(400);
    expect(await link.text()).toContain('alerts[0].links[0].href');
  });

  it('an alert below min_severity neither opens nor joins an incident, and cannot hold one open', async () => {
    const i = await createIntegration(s, {
      name: name('floor'),
      kind: 'generic',
      settings: { min_severity: 'medium', auto_resolve_after: 0 },
    });
    const group_key = name('g');
    const low = await accepted(s, i, { alerts: [genericAlert({ dedup_key: 'low', group_key, severity: 'low' })] });
    expect(low.alerts[0]).toMatchObject({ outcome: 'suppressed', incident_id: null });
    const high = await accepted(s, i, { alerts: [genericAlert({ dedup_key: 'hi', group_key, severity: 'critical' })] });
    const id = high.alerts[0]?.incident_id ?? '';
    const low2 = await accepted(s, i, { alerts: [genericAlert({ dedup_key: 'low2', group_key, severity: 'info' })] });
    expect(low2.alerts[0]).toMatchObject({ outcome: 'suppressed', incident_id: null });
    await accepted(s, i, { alerts: [genericAlert({ dedup_key: 'hi', group_key, status: 'resolved' })] });
    expect((await incident(s, id)).status).toBe('monitoring');
  });

  it('a sender severity named like an Object property (constructor, __proto__) maps to the default, not a 500', async () => {
    const am = await createIntegration(s, { name: name('proto-am'), kind: 'alertmanager' });
    for (const severity of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const out = await accepted(s, am, amMessage({ labels: { alertname: 'P', severity } }));
      expect(out.alerts[0]?.outcome).toBe('created');
      expect((await incident(s, out.alerts[0]?.incident_id ?? '')).severity).toBe('medium');
    }
    const pd = await createIntegration(s, { name: name('proto-pd'), kind: 'pagerduty' });
    const ev = {
      routing_key: pd.secret,
      event_action: 'trigger',
      payload: { summary: 's', source: 'x', severity: 'constructor' },
    };
    expect((await s.api('/v2/enqueue', { json: ev })).status).toBe(202);
    const dd = await createIntegration(s, { name: name('proto-dd'), kind: 'datadog' });
    const out = await accepted(s, dd, {
      cycle_key: 'p1',
      transition: 'Triggered',
      title: 't',
      priority: 'constructor',
    });
    expect(out.alerts[0]?.outcome).toBe('created');
  });

  it('refuses silence regexes with large counted repeats, which cost RE2 a large program per label', async () => {
    const res = await s.api('/api/silences/', {
      json: {
        matchers: [{ name: 'x', value: '.{0,1000}b', is_regex: true }],
        ends_at: new Date(Date.now() + 60_000).toISOString(),
        comment: 'c',
        created_by: 'me',
      },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('counted repeat');
  });

  it('a delivery of 1000 alerts in 1000 groups does not hold off other requests while it runs', async () => {
    const i = await createIntegration(s, { name: name('big'), kind: 'generic' });
    const alerts = Array.from({ length: 1000 }, (_, k) => genericAlert({ dedup_key: `k${k}`, group_key: `g${k}` }));
    let done = false;
    const big = deliver(s, i, { alerts }).then((r) => {
      done = true;
      return r;
    });
    // /livez answers from the process alone: while the delivery is handled (about a second or more of statements),
    // it must still be answered, which it is not if the work never returns to the event loop.
    let answeredWhileBusy = 0;
    while (!done) {
      // A kept-alive socket the server timed out under load can reset as it is reused: that is the client's race,
      // not an unanswered request, so only answers are counted.
      const live = await s.api('/livez').catch(() => undefined);
      if (live === undefined) continue;
      expect(live.status).toBe(200);
      if (!done) answeredWhileBusy++;
    }
    expect(answeredWhileBusy).toBeGreaterThan(0);
    expect((await big).status).toBe(202);
  }, 60_000);
});

describe(`lock order of a delivery (${DB_LABEL})`, () => {
  it('locks the group a resolve’s alert is stored in before the alert row, as every writer does', async () => {
    // A resolve that names no group touches an alert stored in another group. Locking that alert's row before its
    // group, the reverse of every other writer's order, could deadlock with a delivery of that group (review,
    // 2026-12-01). Hold the group's lock elsewhere: the delivery must wait for it without holding the alert.
    const i = await createIntegration(s, { name: name('order'), kind: 'generic' });
    const group_key = name('grp');
    await accepted(s, i, { alerts: [genericAlert({ dedup_key: 'lo1', group_key })] });
    const db = s.database.db;
    let resolving: Promise<Response> | undefined;
    await db.transaction().execute(async (tx) => {
      await tx
        .selectFrom('alert_groups')
        .select('group_key')
        .where('integration_id', '=', i.id)
        .where('group_key', '=', group_key)
        .forUpdate()
        .execute();
      resolving = deliver(s, i, { alerts: [{ dedup_key: 'lo1', title: 'lo1', status: 'resolved' }] });
      await new Promise((r) => setTimeout(r, 500));
      // The delivery waits on the group; the alert's row is still free.
      const alert = await tx
        .selectFrom('alerts')
        .select('dedup_key')
        .where('integration_id', '=', i.id)
        .where('dedup_key', '=', 'lo1')
        .forUpdate()
        .noWait()
        .execute();
      expect(alert).toHaveLength(1);
    });
    // Released at commit; the delivery then goes through.
    expect((await resolving)?.status).toBe(202);
  });
  it('keeps what an alert of huge labels, annotations and links brings to its events within the metadata limit', async () => {
    const i = await createIntegration(s, { name: name('huge'), kind: 'generic' });
    const labels = Object.fromEntries(
      Array.from({ length: 1_000 }, (_, n) => [`label_${n}`, `value-${n}-${'v'.repeat(100)}`]),
    );
    const annotations = Object.fromEntries(Array.from({ length: 300 }, (_, n) => [`note_${n}`, 'a'.repeat(4_000)]));
    const links = Array.from({ length: 20 }, (_, n) => ({
      href: `https://runbooks.example/${'p'.repeat(2_000)}/${n}`,
      text: `link ${n}`,
    }));
    const result = await accepted(s, i, {
      alerts: [genericAlert({ dedup_key: name('huge'), group_key: name('huge'), labels, annotations, links })],
    });
    const incidentId = result.alerts[0]?.incident_id ?? '';
    expect(incidentId).not.toBe('');
    const res = await s.api(`/api/ingest/events/${incidentId}?limit=1000`);
    expect(res.status).toBe(200);
    const events = (await res.json()) as Array<{ event_type: string; metadata: Record<string, unknown> }>;
    const alertEvent = events.find((e) => e.event_type === 'alert');
    expect(alertEvent?.metadata.truncated).toBe(true);
    const textOf = (v: unknown): number =>
      typeof v === 'string'
        ? v.length
        : Array.isArray(v)
          ? v.reduce((n: number, x) => n + textOf(x), 0)
          : typeof v === 'object' && v !== null
            ? Object.entries(v).reduce((n, [k, x]) => n + k.length + textOf(x), 0)
            : 0;
    expect(textOf(alertEvent?.metadata)).toBeLessThanOrEqual(MAX_METADATA_TEXT);
    expect(Object.keys(alertEvent?.metadata.labels as object).length).toBeGreaterThan(100);
    expect((alertEvent?.metadata.links as unknown[]).length).toBeGreaterThan(0);
    // The incident's own metadata (the group's common labels) too.
    expect(textOf((await incident(s, incidentId)).metadata)).toBeLessThanOrEqual(MAX_METADATA_TEXT);
  });
});
