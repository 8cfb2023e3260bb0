// Request and response I/O straight on node's objects when the request came through @hono/node-server.
// Hono's portable accessors build WHATWG objects on node: the first c.req.header() builds a Headers from every
// incoming header, the first body read builds a Request and a web stream over the socket, and c.header() builds a
// Headers that node-server converts back; on a 1-row GET that was a tenth of the server's CPU (docs/performance.md).
// The node objects are @hono/node-server's documented bindings (`c.env.incoming`, `c.env.outgoing`).
// Without node bindings (app.request() in tests, the WebSocket upgrade path) each helper falls back to Hono's API.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { HttpError } from './errors.js';

export interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

/** Node's request and response objects, where @hono/node-server passed them (none for app.request() in tests). */
export const bindings = (c: Context): NodeBindings => (c.env ?? {}) as NodeBindings;

/**
 * True for a request node answers as plain HTTP (it has node's response object); false for one handed over by an
 * 'upgrade' event, which has none, and for app.request() in tests.
 */
export const isPlainHttp = (c: Context): boolean => bindings(c).outgoing !== undefined;

/**
 * True when the client of an upgrade request has hung up: its socket can no longer be read or written, so `ws` would
 * drop it without completing the handshake. False without node's request (app.request() in tests).
 */
export function upgradeSocketGone(c: Context): boolean {
  const socket = bindings(c).incoming?.socket;
  return socket !== undefined && (socket.destroyed || !socket.readable || !socket.writable);
}

/** The client's address, when the request came through node's server (undefined for app.request()). */
export function remoteAddress(c: Context): string | undefined {
  return bindings(c).incoming?.socket.remoteAddress;
}

/** A request header by lower-case name. */
export function requestHeader(c: Context, name: Lowercase<string>): string | undefined {
  const incoming = bindings(c).incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Sets a response header on node's response, where writeHead merges it with the handler's own headers. */
export function setResponseHeader(c: Context, name: string, value: string): void {
  const outgoing = bindings(c).outgoing;
  if (outgoing && !outgoing.headersSent) outgoing.setHeader(name, value);
  else c.header(name, value);
}

/** The answer to a body over the limit (413). */
export const payloadTooLarge = (maxBytes: number): HttpError =>
  new HttpError('PAYLOAD_TOO_LARGE', `request body is larger than ${maxBytes} bytes`);

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as UTF-8 text, or a 400 when they are not UTF-8: JSON must be (RFC 8259 §8.1), and a lossy decode would store U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new HttpError('BAD_REQUEST', 'request body is not valid UTF-8 (RFC 8259 §8.1)');
  }
}

/**
 * Refuses a body sent with a content coding (gzip, br, ...) with a 415 naming it and `Accept-Encoding: identity`
 * (RFC 7694 §3): Warroom reads bodies as sent, and would otherwise call the compressed bytes invalid UTF-8.
 * `identity` (or no header) passes.
 */
export function checkContentEncoding(header: string | null | undefined): void {
  if (header === undefined || header === null) return;
  const codings = header
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '' && t !== 'identity');
  if (codings.length === 0) return;
  throw new HttpError(
    'UNSUPPORTED_MEDIA_TYPE',
    `Content-Encoding ${codings.join(', ')} is not supported; send the body uncompressed`,
    { 'Accept-Encoding': 'identity' },
  );
}

/**
 * The request body as UTF-8 text; more than `maxBytes` (declared or actually sent) is refused with a 413 HttpError,
 * bytes that are not UTF-8 with a 400, a body with a content coding with a 415 (checkContentEncoding).
 */
export async function readBodyText(c: Context, maxBytes: number): Promise<string> {
  checkContentEncoding(c.req.header('content-encoding'));
  const incoming = bindings(c).incoming;
  if (!incoming) {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw payloadTooLarge(maxBytes);
    return decodeUtf8(bytes);
  }
  const tooLarge = (): HttpError => {
    // The rest of the body is not read; closing the connection after the answer spares draining it.
    setResponseHeader(c, 'connection', 'close');
    return payloadTooLarge(maxBytes);
  };
  if (Number(incoming.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  if (incoming.readableEnded) return '';
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
      if (err) reject(err);
      else {
        try {
          resolve(decodeUtf8(Buffer.concat(chunks, size)));
        } catch (decodeError) {
          reject(decodeError);
        }
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) done(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = (): void => done();
    // The client went away mid-body: answered (to no one) and counted as 499, not as a failure of ours.
    const onError = (): void =>
      done(new HttpError('CLIENT_CLOSED_REQUEST', 'the client closed the connection mid-body'));
    const onClose = (): void =>
      done(new HttpError('CLIENT_CLOSED_REQUEST', 'the client closed the connection mid-body'));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}
