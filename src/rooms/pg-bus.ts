// The room bus on PostgreSQL LISTEN/NOTIFY: several instances on one database share rooms with nothing else to run.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { ServerFrame } from '../../schema/index.js';
import type { Database } from '../db/types.js';
import type { BusHandler, RoomBus } from './bus.js';

export const CHANNEL = 'warroom_rooms';
export const BUS_APPLICATION_NAME = 'warroom-room-bus';
/** NOTIFY payloads must stay under 8000 bytes; larger frames are parked in room_frames and sent by id. */
const INLINE_LIMIT = 7500;
/** Parked frames are only needed until every listener has read them. */
const PARKED_TTL = '5 minutes';
const MAX_BACKLOG = 10_000;

interface Envelope {
  /** origin instance */
  o: string;
  /** room (incident id) */
  r: string;
  /** the frame, inline */
  f?: ServerFrame;
  /** or the id of a parked frame */
  p?: string;
}

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
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private handler: BusHandler | undefined;
  private sendChain: Promise<void> = Promise.resolve();
  private receiveChain: Promise<void> = Promise.resolve();
  private backlog = 0;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly sweepTimer: NodeJS.Timeout;
  /** Connections opened so far (1 + reconnects); tests read it. */
  connections = 0;

  constructor(private readonly opts: PgBusOptions) {
    this.sweepTimer = setInterval(() => void this.sweep(), 60_000);
    this.sweepTimer.unref();
  }

  /** Opens the connection and LISTENs; resolves once frames can flow. */
  async start(): Promise<void> {
    await this.connection();
  }

  subscribe(handler: BusHandler): void {
    this.handler = handler;
  }

  publish(room: string, frame: ServerFrame): void {
    if (this.closed) return;
    if (this.backlog >= MAX_BACKLOG) {
      this.opts.logger.warn({ room, type: frame.type }, 'room bus backlog full; frame not sent to other instances');
      return;
    }
    this.backlog++;
    this.sendChain = this.sendChain
      .then(() => this.send(room, frame))
      .catch((err: unknown) => this.opts.logger.error({ err, room }, 'room bus publish failed'))
      .finally(() => {
        this.backlog--;
      });
  }

  private async send(room: string, frame: ServerFrame): Promise<void> {
    const inline = JSON.stringify({ o: this.origin, r: room, f: frame } satisfies Envelope);
    let payload = inline;
    if (Buffer.byteLength(inline) > INLINE_LIMIT) {
      const row = await this.opts.db
        .insertInto('room_frames')
        .values({ frame: JSON.stringify(frame) })
        .returning('id')
        .executeTakeFirstOrThrow();
      payload = JSON.stringify({ o: this.origin, r: room, p: String(row.id) } satisfies Envelope);
    }
    // A failed send (connection lost mid-way) waits for the reconnect and is tried once more.
    for (let tries = 0; ; tries++) {
      const client = await this.connection();
      try {
        await client.query('select pg_notify($1, $2)', [CHANNEL, payload]);
        return;
      } catch (err) {
        if (tries >= 1 || this.closed) throw err;
        this.drop(client);
      }
    }
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<pg.Client> {
    for (;;) {
      if (this.closed) throw new Error('room bus is closed');
      // The application_name lets operators (and the reconnect test) find the bus connection in pg_stat_activity.
      const client = new pg.Client({ connectionString: this.opts.url, application_name: BUS_APPLICATION_NAME });
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
        await client.query(`listen ${CHANNEL}`);
        this.client = client;
        this.connections++;
        if (this.attempt > 0) this.opts.logger.info({ attempts: this.attempt }, 'room bus reconnected');
        this.attempt = 0;
        return client;
      } catch (err) {
        client.removeAllListeners('end');
        await client.end().catch(() => undefined);
        const delay = Math.min(5000, (this.opts.reconnectMs ?? 100) * 2 ** this.attempt++);
        this.opts.logger.warn({ err, delay }, 'room bus cannot connect; retrying');
        await new Promise<void>((resolve) => {
          this.reconnectTimer = setTimeout(resolve, delay);
        });
      }
    }
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
    let env: Envelope;
    try {
      env = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (env.o === this.origin) return;
    // Parked frames are loaded asynchronously; the chain keeps each origin's frames in publish order.
    this.receiveChain = this.receiveChain
      .then(async () => {
        const frame = env.f ?? (env.p ? await this.loadParked(env.p) : undefined);
        if (frame) this.handler?.(env.r, frame, env.o);
      })
      .catch((err: unknown) => this.opts.logger.error({ err }, 'room bus delivery failed'));
  }

  private async loadParked(id: string): Promise<ServerFrame | undefined> {
    const row = await this.opts.db.selectFrom('room_frames').select('frame').where('id', '=', id).executeTakeFirst();
    return row ? (JSON.parse(row.frame) as ServerFrame) : undefined;
  }

  private async sweep(): Promise<void> {
    await this.opts.db
      .deleteFrom('room_frames')
      .where(sql<boolean>`created_at < now() - ${PARKED_TTL}::interval`)
      .execute()
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    clearTimeout(this.reconnectTimer);
    await this.sendChain.catch(() => undefined);
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
    }
  }
}
