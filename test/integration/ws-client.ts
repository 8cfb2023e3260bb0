// A small test client for incident rooms: collects frames and waits for the ones a test expects.
import WebSocket from 'ws';
import type { ServerFrame } from '../../schema/index.js';

export interface RoomClient {
  ws: WebSocket;
  frames: ServerFrame[];
  /** Waits for the next frame (after those already consumed) matching `pred`. */
  next<T extends ServerFrame['type']>(
    type: T,
    pred?: (f: Extract<ServerFrame, { type: T }>) => boolean,
    ms?: number,
  ): Promise<Extract<ServerFrame, { type: T }>>;
  send(data: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export function wsUrl(httpUrl: string, incidentId: string, user?: string): string {
  const base = httpUrl.replace(/^http/, 'ws');
  return `${base}/ws/incidents/${incidentId}${user ? `?user=${encodeURIComponent(user)}` : ''}`;
}

export async function connectRoom(
  httpUrl: string,
  incidentId: string,
  opts: { user?: string; autoPong?: boolean; headers?: Record<string, string>; ticket?: string } = {},
): Promise<RoomClient> {
  const url = wsUrl(httpUrl, incidentId, opts.user);
  const withTicket = opts.ticket ? `${url}${url.includes('?') ? '&' : '?'}ticket=${opts.ticket}` : url;
  const ws = new WebSocket(withTicket, { autoPong: opts.autoPong ?? true, headers: opts.headers ?? {} });
  const frames: ServerFrame[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as ServerFrame);
    for (const w of waiters) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  let cursor = 0;
  return {
    ws,
    frames,
    closed,
    send: (data) => ws.send(typeof data === 'string' ? data : JSON.stringify(data)),
    next(type, pred, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          while (cursor < frames.length) {
            const f = frames[cursor++];
            if (f && f.type === type && (!pred || pred(f as never))) {
              resolve(f as never);
              return true;
            }
          }
          return false;
        };
        if (check()) return;
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no ${type} frame within ${ms} ms; got ${frames.map((f) => f.type).join(', ')}`));
        }, ms);
        const waiter = (): void => {
          if (check()) {
            clearTimeout(timer);
            waiters.delete(waiter);
          }
        };
        waiters.add(waiter);
      });
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.close();
      await closed;
    },
  };
}

/** Tries to connect and reports the HTTP status of a refused upgrade (or 101 if it was accepted). */
/** A refused upgrade's whole answer: status, headers and body, as `ws` hands them over. */
export function upgradeRefusal(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was not refused'));
    });
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    ws.once('error', (err) => {
      if (ws.readyState !== WebSocket.CLOSED) reject(err);
    });
  });
}

export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', (err) => {
      if (ws.readyState !== WebSocket.CLOSED) reject(err);
    });
  });
}
