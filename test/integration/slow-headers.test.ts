// A client that opens a connection and sends its request headers slowly (or never finishes them) is answered 408 and
// disconnected after HEADERS_TIMEOUT_MS. Node's own default held such connections for 60-90 s (60 s, checked every
// 30 s): 500 of them were still open after 75 s in a review (2026-12-02).
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_LABEL, startTestServer, type ListeningTestServer } from './harness.js';

describe(`slow request headers (${DB_LABEL})`, () => {
  let s: ListeningTestServer;
  beforeAll(async () => {
    s = await startTestServer({ HEADERS_TIMEOUT_MS: '1000' });
  });
  afterAll(() => s.stop());

  /** Sends `text` and returns what the server answers until it closes the connection, and after how long (ms). */
  const sendAndWait = (text: string, dripMs?: number): Promise<{ answer: string; ms: number }> =>
    new Promise((resolve, reject) => {
      const start = performance.now();
      const socket = connect(s.port, '127.0.0.1');
      let answer = '';
      let drip: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        socket.write(text);
        // A header line every dripMs, never the blank line that ends them: each byte resets no timer.
        if (dripMs) drip = setInterval(() => socket.write(`X-Drip: ${Date.now()}\r\n`), dripMs);
      });
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
      socket.on('error', reject);
      socket.on('close', () => {
        clearInterval(drip);
        resolve({ answer, ms: performance.now() - start });
      });
    });

  it('answers 408 and closes a connection whose headers never end', { timeout: 20_000 }, async () => {
    const { answer, ms } = await sendAndWait('GET /health HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('did not arrive in time');
    expect(ms).toBeGreaterThanOrEqual(900);
    // Node checks every tenth of the limit (at least every 500 ms): well before its own default of 30 s.
    expect(ms).toBeLessThan(5_000);
  });

  it('also when the headers trickle in', { timeout: 20_000 }, async () => {
    const { answer, ms } = await sendAndWait('GET /health HTTP/1.1\r\nHost: x\r\n', 100);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeLessThan(5_000);
  });

  it('leaves a request whose headers arrive in time alone', async () => {
    const { answer } = await sendAndWait('GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });
});
