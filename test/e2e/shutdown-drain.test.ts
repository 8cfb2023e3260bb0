// SIGTERM drains before the listener closes (SHUTDOWN_DRAIN_MS): callers arriving on new connections, and those
// reusing a keep-alive connection, get answers (each closing its connection) instead of resets, and the readiness
// probes tell a load balancer to stop routing here. A real process and real sockets: the behaviour is the kernel's.
import { once } from 'node:events';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { spawnWarroom } from './process.js';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** One GET; `agent` false opens a new connection for it. Rejects with the socket error (ECONNRESET, ...). */
function get(url: string, agent: http.Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe('shutdown drain', () => {
  it('answers every caller during the drain, closing connections, with readiness 503; then exits 0', async () => {
    const w = await spawnWarroom({ DATA_DIR: 'memory', DATABASE_URL: '', SHUTDOWN_DRAIN_MS: '2000' });
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const created = await w.api('/api/incidents/', { json: { title: 'drain' } });
      const { id } = (await created.json()) as { id: string };
      // A connection a client keeps open, idle when the signal comes.
      expect((await get(`${w.url}/api/incidents/${id}`, keepAlive)).connection).toBe('keep-alive');
      const exited = once(w.child, 'exit') as Promise<[number | null]>;
      const signalled = Date.now();
      w.child.kill('SIGTERM');

      // For the first second of the drain, a stream of callers, each on a new connection, 8 at a time.
      const outcomes: string[] = [];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (Date.now() - signalled < 1000) {
            outcomes.push(
              await get(`${w.url}/api/incidents/${id}`, false).then(
                (a) => String(a.status),
                (err: NodeJS.ErrnoException) => err.code ?? err.message,
              ),
            );
          }
        }),
      );
      expect(outcomes.length).toBeGreaterThan(20);
      expect(new Set(outcomes)).toEqual(new Set(['200']));

      // The idle keep-alive connection is answered too, and told to close.
      const reused = await get(`${w.url}/api/incidents/${id}`, keepAlive);
      expect(reused).toMatchObject({ status: 200, connection: 'close' });
      // Readiness says the server is going; liveness that it is alive.
      const health = await get(`${w.url}/health`, false);
      expect(health).toMatchObject({ status: 503, connection: 'close' });
      expect(JSON.parse(health.body)).toEqual({ status: 'shutting down' });
      expect((await get(`${w.url}/readyz`, false)).status).toBe(503);
      expect((await get(`${w.url}/livez`, false)).status).toBe(200);

      const [code] = await exited;
      expect(code).toBe(0);
      // It waited for the drain, then stopped accepting.
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(2000);
      await expect(get(`${w.url}/livez`, false)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      keepAlive.destroy();
      await w.stop();
    }
  }, 60_000);

  it('a request begun before the signal and answered during the drain closes its connection too', async () => {
    // The report (an outage drill): a slow upload begun before SIGTERM was answered 201 with keep-alive.
    const w = await spawnWarroom({ DATA_DIR: 'memory', DATABASE_URL: '', SHUTDOWN_DRAIN_MS: '3000' });
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = JSON.stringify({ title: 'uploaded slowly across the signal' });
      const answer = new Promise<Answer>((resolve, reject) => {
        const req = http.request(
          `${w.url}/api/incidents/`,
          {
            method: 'POST',
            agent: keepAlive,
            headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }),
            );
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 10));
        // The rest after the drain has begun.
        setTimeout(() => {
          w.child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(10)), 500);
        }, 300);
      });
      expect(await answer).toMatchObject({ status: 201, connection: 'close' });
    } finally {
      keepAlive.destroy();
      await w.stop();
    }
  }, 60_000);

  it('SIGINT (Ctrl-C) does not drain: the listener closes at once', async () => {
    const w = await spawnWarroom({ DATA_DIR: 'memory', DATABASE_URL: '', SHUTDOWN_DRAIN_MS: '5000' });
    const exited = once(w.child, 'exit') as Promise<[number | null]>;
    const signalled = Date.now();
    w.child.kill('SIGINT');
    expect((await exited)[0]).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5000);
  }, 60_000);
});
