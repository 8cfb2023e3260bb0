// openapi.json: equals what the code generates (drift fails), is valid OpenAPI 3.x, and tells the truth about REST.
import { readFile } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { OPENAPI_PATH, renderOpenApi } from '../../src/rest/document.js';

type Op = {
  parameters?: { name: string; in: string; description?: string }[];
  requestBody?: {
    required?: boolean;
    content: Record<string, { schema: { type?: string; properties?: Record<string, unknown> } }>;
  };
  responses: Record<string, { headers?: Record<string, { description?: string }> }>;
};

describe('openapi.json', () => {
  it('matches the document generated from the code (run `npm run openapi` after changing a schema)', async () => {
    expect(await readFile(OPENAPI_PATH, 'utf8')).toBe(renderOpenApi());
  });

  it('is valid OpenAPI 3.x', async () => {
    const doc = JSON.parse(renderOpenApi()) as Record<string, unknown>;
    const api = await SwaggerParser.validate(structuredClone(doc) as never);
    expect(String((api as { openapi?: string }).openapi)).toMatch(/^3\./);
  });

  it('documents what the server really does', () => {
    const doc = JSON.parse(renderOpenApi()) as {
      servers: { url: string }[];
      paths: Record<string, Record<string, Op>>;
    };
    expect(doc.servers[0]?.url).toBe('/api');
    const op = (p: string, m: string): Op => {
      const o = doc.paths[p]?.[m];
      if (!o) throw new Error(`${m} ${p} missing`);
      return o;
    };
    const status = op('/incidents/{incident_id}/status', 'patch');
    expect(status.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual([
      'path:incident_id',
      'query:status',
      'query:actor',
    ]);
    // The server also reads these from a JSON body (src/rest/input.ts), so the body, its 413 and 415 are documented.
    expect(status.requestBody).toMatchObject({ required: false });
    expect(Object.keys(status.requestBody?.content['application/json']?.schema.properties ?? {})).toEqual([
      'status',
      'actor',
    ]);
    expect(Object.keys(status.responses)).toEqual(expect.arrayContaining(['200', '404', '409', '413', '415']));
    expect(Object.keys(op('/incidents/{incident_id}/analyze', 'post').responses)).toEqual(
      expect.arrayContaining(['413', '415']),
    );

    const batch = op('/ingest/events/batch', 'post');
    expect(batch.requestBody?.content['application/json']?.schema.type).toBe('array');
    expect(Object.keys(batch.responses)).toEqual(expect.arrayContaining(['201', '400', '404', '415']));
    expect(Object.keys(op('/incidents', 'post').responses)).toContain('201');
    expect(Object.keys(op('/incidents', 'post').responses)).not.toContain('200');
    expect(Object.keys(op('/ingest/events', 'post').responses)).toContain('201');
    expect(op('/incidents', 'get').parameters?.map((p) => p.name)).toEqual([
      'status',
      'severity',
      'source',
      'tag',
      'limit',
      'offset',
      'cursor',
    ]);

    // The paged lists: cursor and after are described, and the 200 documents the Link header.
    const events = op('/ingest/events/{incident_id}', 'get');
    expect(events.parameters?.map((p) => p.name)).toEqual([
      'incident_id',
      'limit',
      'before',
      'since',
      'cursor',
      'after',
    ]);
    const described = (o: Op, name: string) => o.parameters?.find((p) => p.name === name)?.description ?? '';
    expect(described(events, 'cursor')).toMatch(/Link: <…>; rel="next"/);
    expect(described(events, 'after')).toMatch(/ARRIVED/);
    expect(described(events, 'before')).toMatch(/strictly older/);
    expect(described(op('/incidents', 'get'), 'cursor')).toMatch(/offset/);
    for (const list of [events, op('/incidents', 'get')]) {
      expect(list.responses['200']?.headers?.Link?.description).toMatch(/^RFC 8288/);
    }
    expect(op('/incidents/{incident_id}', 'get').responses['200']?.headers).toBeUndefined();
  });
});
