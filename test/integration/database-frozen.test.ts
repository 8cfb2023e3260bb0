// A database that stops answering without closing anything (a frozen VM, a stopped process, a partition that drops
// packets): TCP notices nothing, and PostgreSQL's statement_timeout cannot fire on a server that does not run. A
// request whose statement was sent must still be answered 503 (the client-side deadline, src/db/query-deadline.ts),
// the instance must come back by itself when the database does, and shutdown must finish meanwhile (operations
// review, 2026-12-02: requests hung for the whole freeze, and SIGTERM until it ended). The freeze is a real TCP proxy
// in front of the suite's PostgreSQL that stops passing bytes in both directions.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPY_MIN_EVENTS } from '../../src/db/events.js';
import {
  DB_LABEL,
  POSTGRES_URL,
  createIncident,
  createScratchDatabase,
  startTestServer,
  type ListeningTestServer,
} from './harness.js';

const STATEMENT_TIMEOUT_MS = 500;

/** A TCP proxy that can hold every byte in both directions (frozen) and let them through again (thawed). */
class FreezingProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private frozen = false;
  private freezeBefore: string | undefined;
  port = 0;

  constructor(private readonly upstream: () => Socket) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = this.upstream();
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      for (const [from, to] of [pair, [upstream, client] as const]) {
        from.on('error', () => undefined);
        from.on('close', () => {
          to.destroy();
          this.pairs.delete(pair);
        });
        from.on('data', (chunk: Buffer) => {
          // A client's statement that begins with the awaited text freezes everything before it is passed on.
          if (from === client && this.freezeBefore !== undefined && chunk.includes(this.freezeBefore)) {
            this.freezeBefore = undefined;
            this.freeze();
          }
          to.write(chunk);
        });
      }
      if (this.frozen) for (const s of pair) s.pause();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops reading from both sides: bytes sent either way wait in the kernel, as with a frozen server. */
  freeze(): void {
    this.frozen = true;
    for (const pair of this.pairs) for (const s of pair) s.pause();
  }

  /** Freezes once a client sends `text` (a statement's text), holding that statement and all after it. */
  freezeAt(text: string): void {
    this.freezeBefore = text;
  }

  thaw(): void {
    this.frozen = false;
    for (const pair of this.pairs) for (const s of pair) s.resume();
  }

  async stop(): Promise<void> {
    for (const pair of this.pairs) for (const s of pair) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** How to reach the database at `url`: a Unix socket (the embedded server) or TCP. */
function upstreamOf(url: URL): () => Socket {
  const host = decodeURIComponent(url.hostname);
  const port = Number(url.port || 5432);
  return host.startsWith('/') ? () => connect({ path: `${host}/.s.PGSQL.${port}` }) : () => connect(port, host);
}

describe(`a database that stops answering (${DB_LABEL})`, () => {
  let proxy: FreezingProxy;
  let s: ListeningTestServer;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const scratch = await createScratchDatabase(POSTGRES_URL ?? '');
    drop = scratch.drop;
    const url = new URL(scratch.url);
    proxy = new FreezingProxy(upstreamOf(url));
    await proxy.start();
    const viaProxy = `postgresql://postgres@127.0.0.1:${proxy.port}${url.pathname}`;
    s = await startTestServer({ DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) }, { databaseUrl: viaProxy });
  });
  afterAll(async () => {
    proxy?.thaw();
    await s?.close(1000).catch(() => undefined);
    await proxy?.stop();
    await drop?.();
  });

  it('answers a request whose statement was sent 503 with Retry-After, and recovers when the database is back', async () => {
    const incident = await createIncident(s);
    // Warm connections: the request below runs on one the pool already holds, so its statement is sent and waits.
    expect((await s.api(`/api/incidents/${incident.id}`)).status).toBe(200);
    proxy.freeze();
    try {
      const res = await s.api(`/api/incidents/${incident.id}`);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await res.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    } finally {
      proxy.thaw();
    }
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await s.api(`/api/incidents/${incident.id}`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
  }, 30_000);

  it('answers a large batch 503 when frozen at its COPY, writing none of it, and takes it once back', async () => {
    const incident = await createIncident(s);
    const batch = Array.from({ length: COPY_MIN_EVENTS + 10 }, (_, i) => ({
      incident_id: incident.id,
      event_type: 'log',
      message: `line ${i}`,
    }));
    const send = () => s.api('/api/ingest/events/batch', { json: batch, headers: { prefer: 'return=minimal' } });
    expect((await send()).status).toBe(201);
    // Frozen after the batch's seqs were taken, as its COPY is sent.
    proxy.freezeAt('copy events');
    try {
      const res = await send();
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      proxy.thaw();
    }
    let status = 0;
    for (let i = 0; i < 40 && status !== 201; i++) {
      status = (await send()).status;
      if (status !== 201) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(201);
    const events = await s.api(`/api/ingest/events/${incident.id}?limit=1000`);
    expect(((await events.json()) as unknown[]).length).toBe(2 * batch.length);
  }, 30_000);

  it('finishes a shutdown while the database is frozen', async () => {
    const incident = await createIncident(s);
    proxy.freeze();
    const inFlight = s.api(`/api/incidents/${incident.id}`).then(
      (r) => r.status,
      () => 0,
    );
    await new Promise((r) => setTimeout(r, 200));
    await s.close(1000);
    // Answered 503 or cut by the shutdown, never left hanging.
    expect([0, 503]).toContain(await inFlight);
  }, 40_000);
});
