// Graceful shutdown: a request already in flight when close() starts is answered, and new connections are refused.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DB_LABEL, startTestServer } from '../integration/harness.js';

describe(`graceful shutdown (${DB_LABEL})`, () => {
  it('finishes an in-flight request, then stops accepting', async () => {
    const s = await startTestServer();
    const body = JSON.stringify({ title: 'arrived just before shutdown' });
    const socket = connect(s.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let response = '';
    socket.on('data', (b: Buffer) => (response += b.toString()));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // Headers and half the body now; the server is in the middle of this request when close() begins.
    socket.write(
      `POST /api/incidents/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`,
    );
    await new Promise((r) => setTimeout(r, 200));
    const closing = s.stop();
    await new Promise((r) => setTimeout(r, 100));
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
    socket.write(body.slice(10));
    await ended;
    await closing;
    expect(response).toMatch(/^HTTP\/1\.1 201 /);
    expect(response).toContain('arrived just before shutdown');
  });
});
