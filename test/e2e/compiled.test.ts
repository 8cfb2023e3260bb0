// What `npm start` runs after `npm ci`: the bundles built into dist/ by the `prepare` script (build.mjs), with no
// TypeScript loader in the server or its analysis thread (issue 18). The rest of the suite runs the sources
// (WARROOM_FROM_SOURCE=1); this file builds dist/ first, so it checks the code as it is now, then runs it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, DB_LABEL, POSTGRES_URL } from '../integration/harness.js';
import { apiFor, type Api } from '../integration/http.js';
import type { AppRouter } from '../../src/index.js';
import { BIN } from './process.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe(`npm start runs compiled JavaScript (${DB_LABEL})`, () => {
  let child: ChildProcess;
  let api: Api;
  let listening: { code?: string; url?: string } = {};
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    execFileSync(process.execPath, ['build.mjs'], { cwd: ROOT, stdio: 'inherit' });
    const env: Record<string, string> = { PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory', LOG_LEVEL: 'info' };
    if (POSTGRES_URL) {
      const scratch = await createScratchDatabase(POSTGRES_URL);
      drop = scratch.drop;
      env.DATABASE_URL = scratch.url;
    }
    child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, ...env, WARROOM_FROM_SOURCE: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    for await (const line of createInterface({ input: child.stdout ?? process.stdin })) {
      const rec = JSON.parse(line) as { msg?: string; code?: string; url?: string };
      if (rec.msg === 'warroom listening') {
        listening = rec;
        break;
      }
    }
    child.stdout?.resume();
    api = apiFor(listening.url ?? '');
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await drop?.();
  });

  it('starts from dist/, not through a TypeScript loader', () => {
    expect(listening.code).toBe('dist');
  });

  it('serves the API and analyses an incident (on PostgreSQL in its worker thread, compiled too)', async () => {
    const created = await api('/api/incidents/', { json: { title: 'Checkout 502s', severity: 'high' } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const events = Array.from({ length: 20 }, (_, i) => ({
      incident_id: id,
      event_type: 'log',
      level: 'error',
      source: 'api-1',
      message: `PostgreSQL connection pool exhausted: 20/20 in use (${i})`,
    }));
    expect((await api('/api/ingest/events/batch', { json: events })).status).toBe(201);
    const analysed = await api(`/api/incidents/${id}/analyze`, { method: 'POST', json: {} });
    expect(analysed.status).toBe(200);
    const body = (await analysed.json()) as { root_cause: string | null };
    expect(body.root_cause).toMatch(/connection/i);
  });

  // The bundle compiles tRPC from the TypeScript its package publishes (build.mjs says why), where the suite runs
  // tRPC's own dist: the paths that go through tRPC are checked here on the bundle as it ships.
  it('bundles tRPC from its source: native spreads, not the Babel helper of its dist', () => {
    const bundle = readFileSync(new URL('dist/main.js', `file://${ROOT}`), 'utf8');
    expect(bundle).not.toContain('function _objectSpread2(');
    expect(bundle).toContain('node_modules/@trpc/server/src/');
    expect(bundle).not.toContain('node_modules/@trpc/server/dist/');
  });

  // The analysis thread validates nothing: Zod in its bundle is 0.7 MB of source and a few MiB of the thread's heap,
  // paid by every server once it analyses. A tidy-up once pulled it in through one shared regular expression.
  it('keeps Zod out of the analysis worker bundle', () => {
    const worker = readFileSync(new URL('dist/worker.js', `file://${ROOT}`), 'utf8');
    expect(worker).toContain('src/analysis/analyzer.ts');
    expect(worker).not.toContain('node_modules/zod/');
  });

  it('answers tRPC calls, their errors in the tRPC envelope, and REST errors naming the field', async () => {
    const trpc = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${listening.url ?? ''}/trpc` })] });
    const incident = await trpc.incidents.create.mutate({ title: 'via tRPC', severity: 'low' });
    expect(await trpc.incidents.get.query({ incident_id: incident.id })).toMatchObject({ title: 'via tRPC' });
    const missing = await trpc.incidents.get
      .query({ incident_id: '00000000-0000-4000-8000-000000000000' })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(TRPCClientError);
    expect((missing as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    const invalid = await trpc.incidents.create.mutate({ title: '' }).catch((e: unknown) => e);
    expect((invalid as TRPCClientError<AppRouter>).data).toMatchObject({
      code: 'BAD_REQUEST',
      httpStatus: 400,
      issues: [{ path: 'title', message: 'must not be empty' }],
    });
    const rest = await api('/api/incidents/', { json: { title: 'x', sevirity: 'high' } });
    expect(rest.status).toBe(400);
    expect(await rest.json()).toMatchObject({
      code: 'BAD_REQUEST',
      issues: [{ path: 'sevirity', message: 'unknown field' }],
    });
    const page = await trpc.incidents.page.query({ limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(typeof page.next_cursor).toBe('string');
  });
});
