// A room socket whose client never answers the close handshake (a frozen tab, a sleeping laptop) is cut
// CLOSE_HANDSHAKE_MS after the server closes it, so it cannot hold a shutdown open: it held it for ws's own 30 s,
// past Kubernetes' default termination grace period (walkthrough, 2026-12-01).
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CLOSE_HANDSHAKE_MS } from '../../src/rooms/route.js';
import { createIncident, startTestServer } from './harness.js';

/** Opens a room socket by hand and stops reading once the upgrade is answered: a client that never says goodbye. */
async function frozenClient(url: string, incidentId: string): Promise<{ socket: Socket; ended: Promise<void> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    [
      `GET /ws/incidents/${incidentId}?user=frozen HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n'),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('data', (chunk: Buffer) =>
      chunk.toString().startsWith('HTTP/1.1 101') ? resolve() : reject(new Error(chunk.toString())),
    );
  });
  socket.pause();
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  return { socket, ended };
}

describe('shutting down with a room socket that never answers', () => {
  it('cuts the socket after the close handshake times out, and stops in seconds, not 30', async () => {
    const s = await startTestServer();
    const incident = await createIncident(s);
    const frozen = await frozenClient(s.url, incident.id);
    const started = Date.now();
    await s.stop();
    const took = Date.now() - started;
    // Paused, it would not see the close.
    frozen.socket.resume();
    await frozen.ended;
    // The hub closes the socket, which is cut CLOSE_HANDSHAKE_MS later; then the server closes. ws's own timeout
    // would have been 30 s.
    expect(took).toBeLessThan(CLOSE_HANDSHAKE_MS + 8000);
    expect(took).toBeGreaterThanOrEqual(CLOSE_HANDSHAKE_MS - 100);
    frozen.socket.destroy();
  }, 60_000);
});
