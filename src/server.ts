// Boots one Warroom instance: database, migrations, app, HTTP listener; and shuts it down gracefully.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from 'pino';
import { createRefiner } from './analysis/refiner.js';
import { AnalysisService } from './analysis/service.js';
import { AnalysisWorker } from './analysis/worker-client.js';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrator.js';
import { ChangeFanout } from './domain/changes.js';
import { createLogger } from './logger.js';
import { InProcessBus, type RoomBus } from './rooms/bus.js';
import { RoomHub } from './rooms/hub.js';
import { PgBus } from './rooms/pg-bus.js';
import { createAppRouter } from './routers/index.js';
import { createMetrics, type Metrics } from './metrics.js';

export interface RunningServer {
  url: string;
  port: number;
  database: DatabaseHandle;
  metrics: Metrics;
  changes: ChangeFanout;
  hub: RoomHub;
  logger: Logger;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes the database. */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  pingIntervalMs?: number;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DB_POOL_SIZE,
  });
  try {
    await migrateToLatest(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  const metrics = createMetrics();
  const changes = new ChangeFanout((err) => logger.error({ err }, 'change subscriber failed'));
  let bus: RoomBus;
  if (database.url) {
    const pgBus = new PgBus({ url: database.url, db: database.db, logger });
    await pgBus.start();
    bus = pgBus;
  } else {
    bus = new InProcessBus().join();
  }
  const hub = new RoomHub(bus, metrics);
  changes.add(hub);
  const analysis = new AnalysisService({
    db: database.db,
    changes,
    logger,
    metrics,
    debounceMs: config.ANALYSIS_DEBOUNCE_MS,
    refine: createRefiner(config, logger),
    worker: database.url ? new AnalysisWorker({ databaseUrl: database.url }, logger) : undefined,
  });
  changes.add(analysis);
  const warroom = createApp({
    router: createAppRouter({ validateOutput: config.VALIDATE_OUTPUT }),
    db: database.db,
    logger,
    metrics,
    changes,
    hub,
    analysis,
    maxBodyBytes: config.MAX_BODY_BYTES,
    accessLog: config.ACCESS_LOG,
    ...(opts.pingIntervalMs ? { pingIntervalMs: opts.pingIntervalMs } : {}),
  });

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: warroom.app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(s));
  });
  warroom.injectWebSocket(server as Server);
  const port = (server.address() as AddressInfo).port;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  const url = `http://${host}:${port}`;
  logger.info({ url, database: database.kind }, 'warroom listening');

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000): Promise<void> => {
    closing ??= (async () => {
      warroom.stop();
      await hub.close();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          logger.warn({ graceMs }, 'in-flight requests did not finish in time; closing connections');
          if ('closeAllConnections' in server) server.closeAllConnections();
        }, graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // Idle keep-alive sockets would hold close() open; busy ones finish their request first.
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
      await analysis.close();
      await database.close();
      logger.info('warroom stopped');
    })();
    return closing;
  };
  return { url, port, database, metrics, changes, hub, logger, close };
}
