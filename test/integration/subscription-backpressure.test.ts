// A tRPC subscription (SSE) whose client stops reading is cut off once more than MAX_QUEUED_BYTES of frames wait for
// it, as a room socket is closed at 8 MiB: before 2026-12-01 the limit was 10,000 frames whatever their size, so a
// paused client of a room taking large event batches held hundreds of MiB of server memory (walkthrough finding).
import { get, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_QUEUED_BYTES } from '../../src/rooms/subscription.js';
import { createIncident, startTestServer, type ListeningTestServer } from './harness.js';

let s: ListeningTestServer;
beforeAll(async () => {
  s = await startTestServer({ MAX_BODY_BYTES: String(16 * 1024 * 1024) });
});
afterAll(() => s.stop());

/** Opens the SSE stream of `incidents.onUpdate` and resolves once its headers are in; the body is left unread. */
function subscribe(incidentId: string): Promise<IncomingMessage> {
  const input = encodeURIComponent(JSON.stringify({ incident_id: incidentId }));
  return new Promise((resolve, reject) => {
    const req = get(`${s.url}/trpc/incidents.onUpdate?input=${input}`, (res) => {
      res.pause();
      resolve(res);
    });
    req.on('error', reject);
  });
}

/** Reads the rest of the stream as text. */
async function drain(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk as string;
  return text;
}

describe('a subscriber that keeps up', () => {
  it('gets a single frame larger than the byte limit (one big batch), as a room socket does', async () => {
    // Review, 2026-12-01: the limit counted the incoming frame into an empty queue, so every subscriber of a room
    // taking one ingest batch over 8 MiB got "fell behind" instead of the events.
    const incident = await createIncident(s, { title: 'one big batch' });
    const res = await subscribe(incident.id);
    res.resume();
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
    const message = 'y'.repeat(9000);
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      incident_id: incident.id,
      event_type: 'log',
      message: `${i} ${message}`,
    }));
    expect(JSON.stringify(batch).length).toBeGreaterThan(MAX_QUEUED_BYTES);
    const posted = await s.api('/api/ingest/events/batch', { json: batch, headers: { prefer: 'return=minimal' } });
    expect(posted.status).toBe(201);
    for (let i = 0; i < 100 && !text.includes('"type":"event.created"'); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(text).toContain('"type":"event.created"');
    expect(text).not.toMatch(/serialized-error/);
    res.destroy();
  });
});

describe('a subscriber that stops reading', () => {
  it('is cut off with an error once its waiting frames pass the byte limit, not after 10,000 frames', async () => {
    const incident = await createIncident(s, { title: 'paused reader' });
    const res = await subscribe(incident.id);
    expect(res.statusCode).toBe(200);
    // 2 MiB frames (1000 events of 2 KiB): ten times the limit in all, far more than the socket buffers can absorb,
    // and far fewer than 10,000 frames.
    const message = 'x'.repeat(2048);
    const batches = Math.ceil((10 * MAX_QUEUED_BYTES) / (1000 * message.length));
    for (let b = 0; b < batches; b++) {
      const batch = Array.from({ length: 1000 }, (_, i) => ({
        incident_id: incident.id,
        event_type: 'log',
        message: `${b}.${i} ${message}`,
      }));
      const posted = await s.api('/api/ingest/events/batch', { json: batch, headers: { prefer: 'return=minimal' } });
      expect(posted.status).toBe(201);
    }
    // Let the hub deliver the last frames before the reader wakes.
    await new Promise((r) => setTimeout(r, 500));
    const text = await drain(res);
    const delivered = text.match(/"type":"event\.created"/g)?.length ?? 0;
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(batches);
    expect(text).toMatch(/event: serialized-error/);
    expect(text).toMatch(/fell more than 8 MiB or 10000 frames behind; subscribe again/);
    expect(text).toMatch(/"httpStatus":503/);
  });
});
