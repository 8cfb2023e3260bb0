// Operations: health, metrics, docs, request ids, and the error envelope for bad requests at the HTTP edge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SOURCE_LABELS, OTHER_SOURCE_LABEL } from '../../src/incident-metrics.js';
import { DB_LABEL, createIncident, newIncident, startTestServer, type ListeningTestServer } from './harness.js';

let s: ListeningTestServer;
beforeAll(async () => {
  s = await startTestServer({ MAX_BODY_BYTES: '65536' });
});
afterAll(() => s.stop());

describe(`operations (${DB_LABEL})`, () => {
  it('reports healthy when the database answers', async () => {
    const res = await s.api('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'healthy' });
  });

  it('exposes Prometheus metrics labelled by route template, never the raw URL', async () => {
    const inc = await createIncident(s);
    await s.api(`/api/incidents/${inc.id}`);
    await s.api('/no/such/path');
    const res = await s.api('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/api\/incidents\/:incident_id",status="200"\} \d+/);
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{[^}]*method="POST",route="\/api\/incidents",status="201"/,
    );
    expect(text).toMatch(/route="unmatched",status="404"/);
    expect(text).not.toContain(inc.id);
  });

  it('labels created incidents by at most MAX_SOURCE_LABELS distinct sources; later ones count as (other)', async () => {
    // `source` is free text: one time series per value grew /metrics without bound (4.4 MB after 20,000 sources).
    const created = async (): Promise<Map<string, number>> => {
      const counts = new Map<string, number>();
      for (const m of (await (await s.api('/metrics')).text()).matchAll(
        /^warroom_incidents_created_total\{severity="[^"]*",source="([^"]*)"\} (\d+)$/gm,
      ))
        counts.set(m[1] ?? '', (counts.get(m[1] ?? '') ?? 0) + Number(m[2]));
      return counts;
    };
    const before = await created();
    expect(before.has(OTHER_SOURCE_LABEL)).toBe(false);
    const room = MAX_SOURCE_LABELS - before.size;
    const sources = Array.from({ length: room + 2 }, (_, i) => `cardinality-${i}`);
    // One at a time, so which sources were first is the order sent.
    for (const source of sources) await createIncident(s, { ...newIncident, source });
    await expect.poll(async () => (await created()).get(OTHER_SOURCE_LABEL)).toBe(2);
    const after = await created();
    expect(after.size).toBe(MAX_SOURCE_LABELS + 1);
    expect(after.get(sources[room - 1] ?? '')).toBe(1);
    expect(after.has(sources[room] ?? '')).toBe(false);
    // A source labelled before the bound was reached keeps its own label.
    await createIncident(s, { ...newIncident, source: sources[0] });
    await expect.poll(async () => (await created()).get(sources[0] ?? '')).toBe(2);
    expect((await created()).get(OTHER_SOURCE_LABEL)).toBe(2);
  });

  it('serves the OpenAPI document and an offline API reference', async () => {
    const doc = await s.api('/openapi.json');
    expect(doc.status).toBe(200);
    expect(((await doc.json()) as { openapi: string }).openapi).toMatch(/^3\./);
    const page = await s.api('/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    // Not to be framed by another site, nor sniffed as another type (security review, 2026-12-02).
    expect(page.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    for (const asset of ['/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/init.js']) {
      const res = await s.api(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('x-content-type-options'), asset).toBe('nosniff');
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(10);
    }
    expect((await s.api('/docs/../package.json')).status).toBe(404);
  });

  it('honours a sane x-request-id and makes one otherwise', async () => {
    const given = await s.api('/health', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const made = await s.api('/health', { headers: { 'x-request-id': `${'x'.repeat(200)} <script>` } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const err = await s.api('/api/incidents/nope', { headers: { 'x-request-id': 'trace-9' } });
    expect(((await err.json()) as { request_id: string }).request_id).toBe('trace-9');
  });

  it('answers unknown routes with a JSON 404 and wrong methods with 405', async () => {
    const res = await s.api('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' });
    const wrong = await s.api('/api/incidents/', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, POST');
    // What Allow lists is served: HEAD beside GET.
    expect((await s.api('/api/incidents/', { method: 'HEAD' })).status).toBe(200);
    const patchOnly = await s.api(`/api/incidents/00000000-0000-4000-8000-000000000000/status`, { method: 'GET' });
    expect(patchOnly.status).toBe(405);
    expect(patchOnly.headers.get('allow')).toBe('PATCH');
    // A path without parameters that a parameter's route also matches: GET /api/ingest/events/batch is not the
    // events of an incident named "batch" (it was a 400 saying incident_id must be a UUID; walkthrough, 2026-12-01).
    for (const path of ['/api/ingest/events/batch', '/api/ingest/events/batch/']) {
      const batch = await s.api(path);
      expect(batch.status).toBe(405);
      expect(batch.headers.get('allow')).toBe('POST');
      expect(await batch.json()).toMatchObject({
        code: 'METHOD_NOT_SUPPORTED',
        message: expect.stringMatching(/use POST/),
      });
    }
    // The parameter's route still answers for a real id.
    expect((await s.api('/api/ingest/events/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('maps malformed JSON to 400, non-JSON to 415, oversize to 413, all in one error shape', async () => {
    const malformed = await s.api('/api/incidents/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title": ',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('malformed JSON'),
    });

    const text = await s.api('/api/incidents/', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'title=x',
    });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });

    const form = await s.api('/api/ingest/events/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=b',
    });
    expect(form.status).toBe(415);

    const big = await s.api('/api/incidents/', { json: { title: 'x', description: 'y'.repeat(70_000) } });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });

    const empty = await s.api('/api/incidents/', { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(empty.status).toBe(400);
  });

  it('refuses an oversize chunked body (no content-length) with 413 and writes nothing', async () => {
    const before = (await (await s.api('/api/incidents/?limit=500')).json()) as unknown[];
    const chunk = new TextEncoder().encode(`{"title": "chunked", "description": "${'z'.repeat(10_000)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 100 chunks of 10 kB: well past the 64 KiB limit, with no length announced up front.
        if (sent++ < 100) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await s.api('/api/incidents/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('65536') });
    const after = (await (await s.api('/api/incidents/?limit=500')).json()) as unknown[];
    expect(after.length).toBe(before.length);
  });
});

describe(`health when the database is gone (${DB_LABEL})`, () => {
  it('reports 503 unhealthy', async () => {
    const t = await startTestServer();
    try {
      await t.database.close();
      const res = await t.api('/health');
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'unhealthy' });
    } finally {
      await t.stop().catch(() => undefined);
    }
  });
});
