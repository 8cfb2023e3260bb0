// The room bus on PostgreSQL LISTEN/NOTIFY: several instances on one database share rooms with nothing else to run.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { ARRIVAL_MARGIN_MS } from '../db/event-partitions.js';
import { CLOSE_WAIT_MS, CONNECT_TIMEOUT_MS, KEEPALIVE_DELAY_MS, settledWithin } from '../db/postgres.js';
import { withDeadline } from '../db/query-deadline.js';
import { needsOperator } from '../db/errors.js';
import type { Logger } from 'pino';
import type { ServerFrame } from '../../schema/index.js';
import type { Database } from '../db/types.js';
import { toEvent } from '../db/rows.js';
import type { BusHandler, FrameRef, HeartbeatHandler, PresenceEntries, RoomBus, WantsFrame } from './bus.js';

export const CHANNEL = 'warroom_rooms';
/**
 * The longest the bus waits for its LISTEN or a NOTIFY: a database that stops answering without closing the
 * connection (frozen, a partition dropping packets) would otherwise hold the bus's sends, and every room frame behind
 * them, until it came back (review, 2026-12-02). Past it the connection is replaced, as after any failure. Longer than
 * a statement's own deadline by default (17 s): a NOTIFY can wait on the commit-time queue lock under load.
 */
const BUS_DEADLINE_MS = 30_000;
const noop = (): void => undefined;
export const BUS_APPLICATION_NAME = 'warroom-room-bus';
/** How long start-up waits for the bus to LISTEN (ms) before the server gives up with one line (exit 1). */
export const BUS_START_TIMEOUT_MS = 30_000;
/** NOTIFY payloads must stay under 8000 bytes; larger frames are parked in room_frames and sent by id. */
const INLINE_LIMIT = 7500;
/** An event.created frame with more events than this is sent by reference without trying it inline. */
const REF_ABOVE_EVENTS = 20;
/** Room for the envelope around one message (`{"o":"<uuid>","m":[…]}`). */
const ENVELOPE_OVERHEAD = 64;
/** Parked frames are only needed until every listener has read them. */
const PARKED_TTL = '5 minutes';
const MAX_BACKLOG = 10_000;

/** One frame on the wire: inline, the id of a parked frame, or where its events are (`event.created`). */
interface Message {
  /** room (incident id) */
  r: string;
  f?: ServerFrame;
  p?: string;
  e?: Array<[string, string]>;
}

/**
 * One NOTIFY payload: the frames one instance published since its previous NOTIFY, in order; or (with `m` empty,
 * so instances that predate heartbeats read nothing) a presence heartbeat: `h` lists `[room, users]` present on it.
 */
interface Envelope {
  /** origin instance */
  o: string;
  /**
   * On a payload of frames, its number: 1, 2, 3… in the order its origin sent them; a listener that hears n + 2 after
   * n missed one. On a heartbeat, the number of the last frames payload its origin sent before it (0 if none), so a
   * listener that missed the last frames before a quiet spell learns it at the next heartbeat. Absent from instances
   * that predate it, which are not checked. Heartbeats take no number of their own: missing one loses no frame.
   */
  s?: number;
  m: Message[];
  h?: PresenceEntries;
}

/** An origin unheard this long while this instance listened is forgotten (its numbering with it): it stopped. */
const FORGET_ORIGIN_MS = 10 * 60_000;

/** A frame to send, or a heartbeat (which goes out in order with the frames around it). */
type Outgoing = { room: string; frame: ServerFrame; ref: FrameRef | undefined } | { heartbeat: PresenceEntries };

export interface PgBusOptions {
  url: string;
  db: Kysely<Database>;
  logger: Logger;
  /** First reconnect delay; doubles up to 5 s. */
  reconnectMs?: number;
}

/**
 * One dedicated connection both LISTENs and NOTIFYs. Publishing through one session keeps this instance's frames in
 * order for every listener; a dropped connection is re-opened and re-subscribed, and frames published meanwhile wait.
 */
export class PgBus implements RoomBus {
  readonly origin = randomUUID();
  /**
   * How this instance's own payloads begin (both kinds: frames and heartbeats). The LISTEN session hears its own
   * NOTIFYs back; under load they are most of what it hears, so they are recognised without parsing them.
   */
  private readonly ownPrefix = `{"o":${JSON.stringify(this.origin)},`;
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private handler: BusHandler | undefined;
  private onHeartbeat: HeartbeatHandler | undefined;
  private onGap: ((since: number) => void) | undefined;
  private wants: WantsFrame = () => true;
  private sendChain: Promise<void> = Promise.resolve();
  private receiveChain: Promise<void> = Promise.resolve();
  private pending: Outgoing[] = [];
  private draining = false;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Why the last attempt to connect and LISTEN failed, for start()'s refusal. */
  private lastFailure: unknown;
  /** Ends open()'s wait before its next attempt (close() calls it). */
  private endReconnectWait: (() => void) | undefined;
  private readonly sweepTimer: NodeJS.Timeout;
  /** Connections opened so far (1 + reconnects); tests read it. */
  connections = 0;
  /** The number of the last frames payload this instance sent (or skipped, for frames it lost: see lost()). */
  private sent = 0;
  /** Each other origin's last frames payload number, and when it was last heard (Date.now()). */
  private readonly heard = new Map<string, { s: number; at: number }>();
  /** When the LISTEN connection was last (re)opened (Date.now()). */
  private listeningSince = 0;

  constructor(private readonly opts: PgBusOptions) {
    this.sweepTimer = setInterval(() => void this.sweep(), 60_000);
    this.sweepTimer.unref();
  }

  /**
   * Opens the connection and LISTENs; resolves once frames can flow. Rejects with the last failure after `timeoutMs`
   * (the bus goes on trying until closed): start-up should not hang for good, without a listening port for a
   * supervisor to probe, on a database that refuses LISTEN (a hot standby behind a stale address after a failover:
   * "cannot execute LISTEN during recovery"; a review, 2026-12-02).
   */
  async start(timeoutMs = BUS_START_TIMEOUT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no LISTEN within ${timeoutMs} ms`, { cause: this.lastFailure })),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.connection(), gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  subscribe(
    handler: BusHandler,
    wants: WantsFrame,
    onHeartbeat?: HeartbeatHandler,
    onGap?: (since: number) => void,
  ): void {
    this.handler = handler;
    this.wants = wants;
    this.onHeartbeat = onHeartbeat;
    this.onGap = onGap;
  }

  heartbeat(present: PresenceEntries): void {
    if (this.closed) return;
    // While the database is away only the newest heartbeat is worth sending; it goes after the frames queued so far.
    this.pending = this.pending.filter((p) => !('heartbeat' in p));
    this.pending.push({ heartbeat: present });
    if (!this.draining) this.sendChain = this.drain();
  }

  publish(room: string, frame: ServerFrame, ref?: FrameRef): void {
    if (this.closed) return;
    if (this.pending.length >= MAX_BACKLOG) {
      this.opts.logger.warn({ room, type: frame.type }, 'room bus backlog full; frame not sent to other instances');
      this.lost();
      return;
    }
    this.pending.push({ room, frame, ref });
    if (!this.draining) this.sendChain = this.drain();
  }

  /**
   * Sends everything published so far, packing many frames into each NOTIFY: under load, a burst of small frames
   * (one per ingest request) costs a few statements rather than one each. A single connection keeps them in order.
   */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length > 0 && !this.closed) {
        const batch = this.pending.splice(0);
        try {
          await this.sendBatch(batch);
        } catch (err) {
          this.opts.logger.error(
            { err, frames: batch.length },
            'room bus publish failed; frames not sent to other instances',
          );
          this.lost();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async sendBatch(batch: Outgoing[]): Promise<void> {
    let messages: Array<{ json: string; bytes: number }> = [];
    for (const item of batch) {
      if ('heartbeat' in item) {
        await this.sendMessages(messages);
        messages = [];
        for (const payload of heartbeatPayloads(this.origin, item.heartbeat)) await this.notify(payload, this.sent);
        continue;
      }
      const { room, frame, ref } = item;
      // A frame of many events cannot fit; skip serialising it (a 500-event frame is ~150 KB) just to find out.
      const surelyTooBig = frame.type === 'event.created' && frame.events.length > REF_ABOVE_EVENTS;
      let json = surelyTooBig && ref ? '' : JSON.stringify({ r: room, f: frame } satisfies Message);
      const tooBig = surelyTooBig || Buffer.byteLength(json) > INLINE_LIMIT - ENVELOPE_OVERHEAD;
      const byRef = tooBig && ref ? JSON.stringify({ r: room, e: ref.eventSeqRanges } satisfies Message) : undefined;
      // A large event batch travels as its row ranges: nothing extra is written, and only instances with someone
      // in the room read it back.
      if (byRef && Buffer.byteLength(byRef) <= INLINE_LIMIT - ENVELOPE_OVERHEAD) {
        json = byRef;
      } else if (tooBig) {
        const row = await this.opts.db
          .insertInto('room_frames')
          .values({ frame: JSON.stringify(frame) })
          .returning('id')
          .executeTakeFirstOrThrow();
        json = JSON.stringify({ r: room, p: String(row.id) } satisfies Message);
      }
      messages.push({ json, bytes: Buffer.byteLength(json) });
    }
    await this.sendMessages(messages);
  }

  /** Packs messages into as few NOTIFYs as fit. */
  private async sendMessages(messages: Array<{ json: string; bytes: number }>): Promise<void> {
    if (messages.length === 0) return;
    const head = `{"o":${JSON.stringify(this.origin)},"m":[`;
    let parts: string[] = [];
    let size = head.length + 2;
    for (const m of messages) {
      if (parts.length > 0 && size + m.bytes + 1 > INLINE_LIMIT) {
        await this.notify(`${head}${parts.join(',')}]}`, ++this.sent);
        parts = [];
        size = head.length + 2;
      }
      parts.push(m.json);
      size += m.bytes + 1;
    }
    if (parts.length > 0) await this.notify(`${head}${parts.join(',')}]}`, ++this.sent);
  }

  /**
   * Frames this instance meant for the others are lost (a failed send, a full backlog): the next payload's number
   * skips one, so every listener learns it missed something rather than showing a room with a hole in it.
   */
  private lost(): void {
    this.sent++;
  }

  private async notify(unnumbered: string, s: number): Promise<void> {
    // Every payload starts with ownPrefix; its number goes right after it (see Envelope.s).
    const payload = `${this.ownPrefix}"s":${s},${unnumbered.slice(this.ownPrefix.length)}`;
    // A failed send (connection lost mid-way) waits for the reconnect and is tried once more. One that fails again
    // leaves a hole in the numbering, which tells the others they missed it.
    for (let tries = 0; ; tries++) {
      const client = await this.connection();
      try {
        await withDeadline(client.query('select pg_notify($1, $2)', [CHANNEL, payload]), BUS_DEADLINE_MS, () =>
          this.drop(client),
        );
        return;
      } catch (err) {
        if (tries >= 1 || this.closed) throw err;
        this.drop(client);
      }
    }
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    const opening: Promise<pg.Client> = this.open().finally(() => {
      // Only its own: open() clears it on success, and a drop() since may have started the next one.
      if (this.connecting === opening) this.connecting = undefined;
    });
    this.connecting = opening;
    return opening;
  }

  private async open(): Promise<pg.Client> {
    for (;;) {
      if (this.closed) throw new Error('room bus is closed');
      // The application_name lets operators (and the reconnect test) find the bus connection in pg_stat_activity.
      // Keep-alive: a LISTEN connection only ever reads, so a server that vanished without closing it (a network
      // partition, a host gone) would otherwise leave this instance deaf to the others' room traffic indefinitely.
      const client = new pg.Client({
        connectionString: this.opts.url,
        application_name: BUS_APPLICATION_NAME,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        keepAlive: true,
        keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
      });
      client.on('error', (err) => {
        this.opts.logger.warn({ err }, 'room bus connection error');
        this.drop(client);
      });
      client.on('end', () => this.drop(client));
      client.on('notification', (msg) => {
        if (msg.channel === CHANNEL && msg.payload) this.receive(msg.payload);
      });
      try {
        await client.connect();
        await withDeadline(client.query(`listen ${CHANNEL}`), BUS_DEADLINE_MS, () => void client.end().catch(noop));
        // Closed while this connection was being opened: it would otherwise stay open, never ended (review,
        // 2026-12-02). The catch below ends it.
        if (this.closed) throw new Error('room bus is closed');
        this.client = client;
        // Cleared here, not only in connection()'s finally: a drop() between now and then would otherwise be handed
        // this resolved promise for the client it just dropped, and no new LISTEN would open (a review, 2026-12-02).
        this.connecting = undefined;
        this.listeningSince = Date.now();
        this.connections++;
        if (this.attempt > 0) this.opts.logger.info({ attempts: this.attempt }, 'room bus reconnected');
        this.attempt = 0;
        return client;
      } catch (err) {
        client.removeAllListeners('end');
        await settledWithin(client.end(), CLOSE_WAIT_MS);
        if (this.closed) throw err;
        const delay = Math.min(5000, (this.opts.reconnectMs ?? 100) * 2 ** this.attempt++);
        this.lastFailure = err;
        // A standby refusing LISTEN or a role refused will not pass by itself: an error, as for requests.
        if (needsOperator(err)) this.opts.logger.error({ err, delay }, 'room bus cannot listen; retrying');
        else this.opts.logger.warn({ err, delay }, 'room bus cannot connect; retrying');
        await new Promise<void>((resolve) => {
          this.reconnectTimer = setTimeout(resolve, delay);
          // close() ends the wait at once, so a caller waiting for a connection learns the bus is closed.
          this.endReconnectWait = resolve;
        });
        this.endReconnectWait = undefined;
      }
    }
  }

  /**
   * Ends the LISTEN connection and opens a new one: the server's pool met a read-only database (a failover), and
   * this connection, made to the same address, may lead to the demoted primary, where no other instance speaks
   * (a review, 2026-12-02: two instances stopped hearing each other's rooms for good). Frames published meanwhile
   * are noticed as missed (Envelope.s) and the rooms told so, as after any reconnect.
   */
  reconnect(): void {
    if (this.client) this.drop(this.client);
  }

  /** Forgets a broken connection and, unless closing, opens a new one so LISTEN resumes without a publish. */
  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (!this.closed) void this.connection().catch(() => undefined);
  }

  private receive(payload: string): void {
    if (payload.startsWith(this.ownPrefix)) return;
    let env: Envelope;
    try {
      env = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (env.o === this.origin || !Array.isArray(env.m)) return;
    const heartbeat = Array.isArray(env.h) ? readPresence(env.h) : undefined;
    const seen = this.numbered(env, heartbeat !== undefined);
    if (seen === 'again') return;
    // Parked frames are loaded asynchronously; the chain keeps each origin's frames in publish order.
    this.receiveChain = this.receiveChain
      .then(async () => {
        // Told before this payload's frames are delivered: they are news, the missed ones are not coming.
        if (seen !== 'next') this.onGap?.(seen.since);
        for (const m of env.m) {
          let frame = m.f;
          if (!frame) {
            if (m.p && this.wants(m.r, 'parked')) {
              frame = await this.loadParked(m.p);
              // Gone already (parked frames live PARKED_TTL): a frame here clients will never see.
              if (!frame) this.onGap?.(Date.now());
            } else if (m.e && this.wants(m.r, 'events')) frame = await this.loadEvents(m.r, m.e);
          }
          if (frame) this.handler?.(m.r, frame, env.o);
        }
        if (heartbeat) this.onHeartbeat?.(env.o, heartbeat);
      })
      .catch((err: unknown) => {
        // A frame that could not be loaded (the database away) is lost to this instance's clients: say so.
        this.opts.logger.error({ err }, 'room bus delivery failed');
        this.onGap?.(Date.now());
      });
  }

  /**
   * Notes an envelope's number (see Envelope.s). 'next': nothing missed (or nothing to tell: the first heard of an
   * origin, which may have spoken before this instance listened, or one that predates numbering); 'again': a frames
   * payload already delivered (a NOTIFY retried after its reply was lost), to drop; `{since}`: frames of that origin
   * were missed. Missed while this instance was not listening, only clients that joined before it listened again
   * missed them (`since` is then, the others loaded after); otherwise (the sender lost them) everyone did (now).
   */
  private numbered(env: Envelope, heartbeat: boolean): 'next' | 'again' | { since: number } {
    if (typeof env.s !== 'number') return 'next';
    const now = Date.now();
    const last = this.heard.get(env.o);
    const expected = last === undefined ? undefined : heartbeat ? last.s : last.s + 1;
    this.heard.set(env.o, { s: Math.max(env.s, last?.s ?? 0), at: now });
    if (last === undefined || expected === undefined) return 'next';
    if (!heartbeat && env.s <= last.s) return 'again';
    if (env.s <= expected) return 'next';
    return { since: this.listeningSince > last.at ? this.listeningSince : now };
  }

  private async loadEvents(room: string, ranges: Array<[string, string]>): Promise<ServerFrame> {
    const rows = await this.opts.db
      .selectFrom('events')
      .selectAll()
      .where('incident_id', '=', room)
      // Skips, as it runs, the partitions that arrived before the incident (src/db/event-partitions.ts).
      .where('received_at', '>=', (eb) =>
        eb
          .selectFrom('incidents')
          .select(sql<Date>`created_at - ${`${ARRIVAL_MARGIN_MS} milliseconds`}::interval`.as('since'))
          .where('id', '=', room),
      )
      .where((eb) => eb.or(ranges.map(([a, b]) => eb.between('seq', a, b))))
      .orderBy('seq')
      .execute();
    return { type: 'event.created', incident_id: room, events: rows.map(toEvent) };
  }

  private async loadParked(id: string): Promise<ServerFrame | undefined> {
    const row = await this.opts.db.selectFrom('room_frames').select('frame').where('id', '=', id).executeTakeFirst();
    return row ? (JSON.parse(row.frame) as ServerFrame) : undefined;
  }

  private async sweep(): Promise<void> {
    // Only after listening all that time: one unheard because this instance was not listening may have spoken.
    const cutoff = Date.now() - FORGET_ORIGIN_MS;
    if (this.client && this.listeningSince < cutoff) {
      for (const [origin, { at }] of this.heard) if (at < cutoff) this.heard.delete(origin);
    }
    await this.opts.db
      .deleteFrom('room_frames')
      .where(sql<boolean>`created_at < now() - ${PARKED_TTL}::interval`)
      .execute()
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    // Frames already published still go out before the connection closes, unless the database is unreachable.
    if (this.pending.length > 0 && !this.draining) this.sendChain = this.drain();
    await settledWithin(this.sendChain, 2000);
    this.closed = true;
    clearInterval(this.sweepTimer);
    clearTimeout(this.reconnectTimer);
    this.endReconnectWait?.();
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners('end');
      // Bounded: ending waits for the server's side of the socket, which a frozen server never closes.
      await settledWithin(c.end(), CLOSE_WAIT_MS);
    }
  }
}

/**
 * The NOTIFY payloads of one heartbeat: `{"o":origin,"m":[],"h":[[room,[user,…]],…]}`, each under INLINE_LIMIT; a
 * long list is split (a room may appear in several), and an instance with nobody present still sends one.
 */
export function heartbeatPayloads(origin: string, present: PresenceEntries, limit = INLINE_LIMIT): string[] {
  const head = `{"o":${JSON.stringify(origin)},"m":[],"h":[`;
  const payloads: string[] = [];
  let parts: string[] = [];
  let size = Buffer.byteLength(head) + 2;
  for (const [room, users] of present) {
    const roomJson = JSON.stringify(room);
    // `[room,[` … `]]` and the comma before the entry.
    const entryBase = Buffer.byteLength(roomJson) + 6;
    let names: string[] = [];
    let entry = entryBase;
    for (const user of users) {
      const json = JSON.stringify(user);
      const bytes = Buffer.byteLength(json) + 1;
      if (size + entry + bytes > limit && (parts.length > 0 || names.length > 0)) {
        if (names.length > 0) parts.push(`[${roomJson},[${names.join(',')}]]`);
        payloads.push(`${head}${parts.join(',')}]}`);
        parts = [];
        names = [];
        size = Buffer.byteLength(head) + 2;
        entry = entryBase;
      }
      names.push(json);
      entry += bytes;
    }
    if (names.length > 0) {
      parts.push(`[${roomJson},[${names.join(',')}]]`);
      size += entry;
    }
  }
  if (parts.length > 0 || payloads.length === 0) payloads.push(`${head}${parts.join(',')}]}`);
  return payloads;
}

/** The well-formed entries of a heartbeat from the wire. */
function readPresence(h: unknown[]): PresenceEntries {
  const present: PresenceEntries = [];
  for (const e of h) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || !Array.isArray(e[1])) continue;
    present.push([e[0], (e[1] as unknown[]).filter((u): u is string => typeof u === 'string')]);
  }
  return present;
}
