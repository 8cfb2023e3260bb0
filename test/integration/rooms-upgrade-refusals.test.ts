// WebSocket handshakes `ws` would refuse are refused before the room route accepts them, with an answer that names
// what was wrong; and a client that hangs up while the route looks its incident up is let go by the route. Either
// one, handed to @hono/node-ws and then dropped by `ws`, stayed in node-ws's map of pending upgrades for the life of
// the process (about 9 KB each; src/rooms/upgrade-guard.ts).
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIncident, DB_LABEL, POSTGRES_URL, startTestServer, type ListeningTestServer } from './harness.js';

const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});

let s: ListeningTestServer;
let incidentId = '';
beforeAll(async () => {
  s = await startTestServer({ LOG_LEVEL: 'info' }, { logger: pino({ level: 'info' }, sink) });
  incidentId = (await createIncident(s)).id;
});
afterAll(() => s.stop());

const validKey = (): string => randomBytes(16).toString('base64');

function open(): Promise<Socket> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends an upgrade request with `headers` (and these defaults) and returns the whole answer once the server closes. */
async function upgrade(headers: Record<string, string | undefined>, method = 'GET'): Promise<string> {
  const all: Record<string, string | undefined> = {
    Host: new URL(s.url).host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': validKey(),
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const socket = await open();
  const head = Object.entries(all)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`);
  socket.write([`${method} /ws/incidents/${incidentId} HTTP/1.1`, ...head, '', ''].join('\r\n'));
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return answer;
}

describe(`room upgrades ws would refuse (${DB_LABEL})`, () => {
  it.each([
    ['no key', { 'Sec-WebSocket-Key': undefined }, 'GET', 400, 'Sec-WebSocket-Key'],
    ['a key that is not 16 bytes', { 'Sec-WebSocket-Key': 'c2hvcnQ=' }, 'GET', 400, 'Sec-WebSocket-Key'],
    ['version 12', { 'Sec-WebSocket-Version': '12' }, 'GET', 400, 'Sec-WebSocket-Version'],
    ['no version', { 'Sec-WebSocket-Version': undefined }, 'GET', 400, 'Sec-WebSocket-Version'],
    ['an empty subprotocol', { 'Sec-WebSocket-Protocol': 'chat,,superchat' }, 'GET', 400, 'Sec-WebSocket-Protocol'],
    ['a repeated subprotocol', { 'Sec-WebSocket-Protocol': 'chat, chat' }, 'GET', 400, 'Sec-WebSocket-Protocol'],
    ['a subprotocol that is not a token', { 'Sec-WebSocket-Protocol': 'ch"at' }, 'GET', 400, 'Sec-WebSocket-Protocol'],
    ['a POST', {}, 'POST', 405, 'GET'],
  ])('refuses %s with an answer naming it', async (_what, headers, method, status, named) => {
    const answer = await upgrade({ ...headers, 'X-Request-Id': 'refused-upgrade-1' }, method);
    expect(answer.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${status === 405 ? 'Method Not Allowed' : 'Bad Request'}`);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { message: string; request_id: string };
    expect(body.message).toContain(named);
    // The request id, as on every other error: echoed when the client gave one.
    expect(answer).toContain('\r\nx-request-id: refused-upgrade-1\r\n');
    expect(body.request_id).toBe('refused-upgrade-1');
    // Version 8 opens a room (below), so the refusal names both.
    if (named === 'Sec-WebSocket-Version') expect(body.message).toBe('Sec-WebSocket-Version must be 13 (or 8)');
  });

  it('still opens what ws accepts: version 8, a list of subprotocols with spaces', async () => {
    for (const options of [
      { protocolVersion: 8 as const, protocols: undefined },
      { protocolVersion: 13 as const, protocols: ['chat', 'superchat'] },
    ]) {
      const ws = new WebSocket(`${s.url.replace('http', 'ws')}/ws/incidents/${incidentId}`, options.protocols, {
        protocolVersion: options.protocolVersion,
      });
      const welcome = await new Promise<string>((resolve, reject) => {
        ws.once('message', (data: Buffer) => resolve(data.toString()));
        ws.once('error', reject);
      });
      expect(JSON.parse(welcome)).toMatchObject({ type: 'welcome' });
      ws.close();
    }
  });
});

const pgOnly = POSTGRES_URL ? describe : describe.skip;
pgOnly(`a client that hangs up during the room lookup (${DB_LABEL})`, () => {
  it('is let go by the route (499), not handed to the WebSocket library', async () => {
    const db = s.database.db;
    const logged = lines.length;
    await db.transaction().execute(async (tx) => {
      // The route's incident lookup waits behind this lock while the client hangs up.
      await sql`lock table incidents in access exclusive mode`.execute(tx);
      const socket = await open();
      socket.write(
        [
          `GET /ws/incidents/${incidentId} HTTP/1.1`,
          `Host: ${new URL(s.url).host}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${validKey()}`,
          'Sec-WebSocket-Version: 13',
          '',
          '',
        ].join('\r\n'),
      );
      await expect
        .poll(
          async () =>
            // This database's only: pg_locks holds every database's, and an OID names a table only within its own.
            (
              await sql<{ n: number }>`select count(*)::int as n from pg_locks
                where relation = 'incidents'::regclass and not granted
                  and database = (select oid from pg_database where datname = current_database())`.execute(db)
            ).rows[0]?.n,
        )
        .toBeGreaterThan(0);
      socket.destroy();
      await new Promise((r) => setTimeout(r, 200));
    });
    await expect
      .poll(() =>
        lines
          .slice(logged)
          .filter((l) => l.msg === 'request' && l.route === '/ws/incidents/:incident_id')
          .map((l) => l.status),
      )
      .toEqual([499]);
  });
});
