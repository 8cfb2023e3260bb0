// ACCESS_LOG: by default only failed or slow requests get an access-log line; 'all' logs every request.
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bearer, createTestKey, DB_LABEL, startTestApp } from './harness.js';

function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const requestLines = (lines: Array<Record<string, unknown>>) =>
  lines.filter((l) => l.msg === 'request').map((l) => `${String(l.status)} ${String(l.route)}`);

describe(`access log (${DB_LABEL})`, () => {
  it('logs only errors by default, every request with ACCESS_LOG=all', async () => {
    for (const mode of ['errors', 'all'] as const) {
      const { logger, lines } = capture();
      const s = await startTestApp({ ACCESS_LOG: mode }, { logger });
      try {
        expect((await s.api('/api/incidents/')).status).toBe(200);
        expect((await s.api('/api/incidents/not-a-uuid')).status).toBe(400);
        expect((await s.api('/nowhere')).status).toBe(404);
      } finally {
        await s.stop();
      }
      const expected = ['400 /api/incidents/:incident_id', '404 unmatched'];
      expect(requestLines(lines)).toEqual(mode === 'all' ? ['200 /api/incidents', ...expected] : expected);
      expect(lines.every((l) => l.msg !== 'request' || typeof l.request_id === 'string')).toBe(true);
    }
  });

  it('logs a database outage’s refusals once a second, not once per request', async () => {
    const { logger, lines } = capture();
    const s = await startTestApp({}, { logger });
    try {
      // The pool closed under the server: every request is a 503, as when the database is away.
      await s.database.db.destroy();
      const statuses = await Promise.all(
        Array.from({ length: 40 }, () => s.api('/api/incidents/').then((r) => r.status)),
      );
      expect(new Set(statuses)).toEqual(new Set([503]));
    } finally {
      await s.stop().catch(() => undefined);
    }
    // One line a second (operations review, 2026-12-02: ~800 identical lines a second in an outage); 40 requests
    // in-process take well under a second each way, so a few lines at most.
    const refused = lines.filter((l) => l.msg === 'request refused: the database is unavailable');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(4);
  });

  it('does not log a refusal a procedure makes over /trpc (an unknown incident) as a failure', async () => {
    const { logger, lines } = capture();
    const s = await startTestApp({}, { logger });
    try {
      const missing = '123e4567-e89b-12d3-a456-426614174000';
      await expect(s.trpc.incidents.get.query({ incident_id: missing })).rejects.toMatchObject({
        data: { code: 'NOT_FOUND', httpStatus: 404 },
      });
    } finally {
      await s.stop();
    }
    // tRPC reports the domain error as INTERNAL_SERVER_ERROR caused by it; it was logged at error level with a stack.
    expect(lines.filter((l) => l.msg === 'procedure failed')).toEqual([]);
    expect(lines.filter((l) => Number(l.level) >= 50)).toEqual([]);
  });

  it('names the key by its prefix, never its secret', async () => {
    const { logger, lines } = capture();
    const s = await startTestApp({ ACCESS_LOG: 'all' }, { logger });
    try {
      const key = await createTestKey(s, 'logged', ['read']);
      expect((await s.api('/api/incidents/', { headers: bearer(key) })).status).toBe(200);
      expect((await s.api('/api/incidents/', { headers: bearer(`${key.slice(0, -1)}x`) })).status).toBe(401);
      const logged = lines.filter((l) => l.msg === 'request');
      expect(logged.map((l) => l.key_prefix)).toEqual([key.slice(3, 15), undefined]);
      expect(JSON.stringify(lines)).not.toContain(key.slice(15));
    } finally {
      await s.stop();
    }
  });
});
