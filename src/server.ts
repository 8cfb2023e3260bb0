// Boots one Warroom instance: database, migrations, room bus, analysis and the app (createWarroom), then the HTTP
// listener (startServer); and shuts it all down gracefully, in the reverse order.
import { createServer as createHttpServer, type Server } from 'node:http';
import { isIPv6, type AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './db/types.js';
import { createRefiner } from './analysis/runtime/refiner.js';
import { workerRunner } from './analysis/runtime/runner.js';
import { AnalysisService } from './analysis/runtime/service.js';
import { AnalysisWorker } from './analysis/runtime/worker-client.js';
import { createApp, type WarroomApp } from './app.js';
import { adapterErrorResponse, answerClientErrors, refusingUnroutable } from './http/client-errors.js';
import { ConfigError, type Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/connect.js';
import { sweepIdempotencyKeys } from './db/idempotency.js';
import { startPartitionMaintenance } from './event-partition-maintenance.js';
import { describeLockWait, prepareDatabase, TURN_WAIT_MESSAGE } from './db/migrator.js';
import { describeDatabaseWait } from './db/wait-for-database.js';
import { Authenticator } from './domain/access.js';
import { ChangeFanout } from './domain/changes.js';
import { AlertService } from './alerts/service.js';
import { countUnresolvedIncidents } from './db/incidents.js';
import { IncidentMetricsSink } from './incident-metrics.js';
import { COMPILED } from './package-root.js';
import { anyApiKey } from './db/keys.js';
import { isDatabaseUnavailable, needsOperator, READ_ONLY_TRANSACTION, sqlState } from './db/errors.js';
import { LogSampler, logRefusal } from './log-sampler.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { RoomHub } from './rooms/hub.js';
import { PgBus } from './rooms/pg-bus.js';
import { createAppRouter } from './routers/index.js';

/**
 * A read-only episode (writes refused with 25006) ends after this long without another refusal (ms). The room bus's
 * and the analysis thread's connections are remade when an episode begins and when it ends, not at each of the
 * pool's replacements (every 5 s while it lasts): on a database that stays read-only (a managed server's full disk)
 * that remade the bus every 5 s, and frames of other instances published during each reconnect closed every room
 * socket with 1012 (a review, 2026-12-02). The remake at the end finds the new primary when the first one, made
 * while a failover was still under way, reached the old.
 */
export const READ_ONLY_QUIET_MS = 60_000;

/** An instance with everything but the listener: tests drive `app.app.request()` directly. */
export interface Warroom {
  app: WarroomApp;
  database: DatabaseHandle;
  metrics: Metrics;
  changes: ChangeFanout;
  hub: RoomHub;
  logger: Logger;
  auth: Authenticator;
  /** Stops the app's timers, the rooms, analysis and the database, in that order. */
  close(): Promise<void>;
}

export interface RunningServer extends Omit<Warroom, 'close'> {
  url: string;
  port: number;
  /**
   * First drains for `drainMs` (default 0: requests are still accepted and answered, each response closing its
   * connection, and the readiness probes answer 503; src/http/drain.ts), then stops accepting, lets in-flight requests
   * finish (up to `graceMs`, default 10 s), then closes everything else.
   */
  close(graceMs?: number, drainMs?: number): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  pingIntervalMs?: number;
  /** Presence heartbeat across instances (defaults: every 10 s, expiry after 30 s); tests shorten them. */
  presence?: { heartbeatMs?: number; timeoutMs?: number };
  /** How long without a read-only refusal ends a read-only episode (default READ_ONLY_QUIET_MS); tests shorten it. */
  readOnlyQuietMs?: number;
}

export async function createWarroom(config: Config, opts: StartOptions = {}): Promise<Warroom> {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  /** Set once close() begins. */
  let closing: Promise<void> | undefined;
  /** Connections besides the pool's to remake when a write meets a read-only database; set once they exist. */
  let remakeOtherConnections = (): void => undefined;
  /** Running while writes are being refused as read-only: see READ_ONLY_QUIET_MS. */
  let readOnlyEpisode: NodeJS.Timeout | undefined;
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: config.DB_POOL_SIZE,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    preparedStatements: config.DB_PREPARED_STATEMENTS === 'on',
    onPreparedStatementsOff: (detail) =>
      logger.warn(
        { detail },
        'prepared statements turned off until restart: a database session lost them (a pooler in transaction ' +
          'mode?); set DB_PREPARED_STATEMENTS=off to keep them off',
      ),
    onPreparedStatementsStale: (err) =>
      logger.warn({ err }, 'prepared statements went stale (a migration or a pooler); replacing the pool connections'),
    // While shutting down, connections end because we end them: not worth a warning.
    onConnectionError: (err) =>
      closing
        ? logger.debug({ err }, 'database connection ended during shutdown')
        : logger.warn({ err }, 'database connection lost; the pool will reconnect'),
    onServerExit: (code) => logger.error({ code }, 'the embedded PostgreSQL stopped; starting it again in 1 s'),
    onReadOnly: () => {
      logger.warn('a write was refused as read-only; replacing the database connections (a failover?)');
      remakeOtherConnections();
    },
  });
  try {
    // One line for the operator, naming where the database comes from (a missing database, refused credentials).
    await prepareDatabase(database.db, config, {
      onLockWait: (wait) => logger.warn({ attempt: wait.attempt, holders: wait.holders }, describeLockWait(wait)),
      onTurnWait: () => logger.info(TURN_WAIT_MESSAGE),
      onDatabaseWait: (wait) => logger.warn({ attempt: wait.attempt, err: wait.err }, describeDatabaseWait(wait)),
    });
    // Before anything else starts: a refusal should be quick, and leave nothing to stop.
    await checkExposure(config, database.db, logger);
  } catch (err) {
    await database.close();
    throw err;
  }
  const metrics = createMetrics();
  const partitions = await startPartitionMaintenance({
    db: database.db,
    retentionDays: config.EVENT_RETENTION_DAYS,
    metrics,
    logger,
    buildUrl: database.url,
  });
  const changes = new ChangeFanout((err) => logger.error({ err }, 'change subscriber failed'));
  const bus = new PgBus({ url: database.url, db: database.db, logger });
  const analysisThread = new AnalysisWorker(
    {
      databaseUrl: database.url,
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      preparedStatements: config.DB_PREPARED_STATEMENTS === 'on',
    },
    logger,
    (bytes) => metrics.analysisWorkerHeap.set(bytes),
  );
  await bus.start().catch(async (err: unknown) => {
    // One line and exit 1, for a supervisor to restart and an operator to read, rather than no port at all.
    await bus.close();
    await partitions.stop();
    await database.close();
    const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
    const code = sqlState(cause);
    const text = cause instanceof Error && cause.message ? cause.message : (code ?? String(cause));
    const hint = code === READ_ONLY_TRANSACTION ? ' (a hot standby?)' : '';
    throw new ConfigError(`cannot listen for room traffic on the database${hint}: ${text}`, { cause: err });
  });
  const hub = new RoomHub(bus, metrics, {
    ...(opts.presence?.heartbeatMs ? { heartbeatMs: opts.presence.heartbeatMs } : {}),
    ...(opts.presence?.timeoutMs ? { presenceTimeoutMs: opts.presence.timeoutMs } : {}),
    onError: (err) => logger.error({ err }, 'room delivery failed'),
    onGap: (closed) =>
      logger.warn(closed, 'room bus missed frames of another instance; room sockets and streams told to reconnect'),
  });
  changes.add(hub);
  const analysis = new AnalysisService({
    db: database.db,
    changes,
    logger,
    metrics,
    debounceMs: config.ANALYSIS_DEBOUNCE_MS,
    refine: createRefiner(config, logger),
    // A worker thread reads and analyses over its own connection, off the request path.
    runner: workerRunner(analysisThread),
  });
  const remake = (): void => {
    bus.reconnect();
    analysisThread.recycle();
  };
  remakeOtherConnections = () => {
    const beginning = readOnlyEpisode === undefined;
    clearTimeout(readOnlyEpisode);
    readOnlyEpisode = setTimeout(() => {
      readOnlyEpisode = undefined;
      if (!closing) remake();
    }, opts.readOnlyQuietMs ?? READ_ONLY_QUIET_MS);
    readOnlyEpisode.unref();
    if (beginning) remake();
  };
  changes.add(analysis);
  const stopWatchingIncidents = analysis.watchIncidents(hub);
  changes.add(new IncidentMetricsSink(metrics));
  metrics.setOpenIncidentsSource(() => countUnresolvedIncidents(database.db));
  const alerts = new AlertService({
    db: database.db,
    changes,
    analyse: (id) => analysis.schedule(id, 'ingest'),
    metrics,
    logger,
    sweepIntervalMs: config.ALERT_SWEEP_INTERVAL_MS,
  });
  alerts.start();
  const keyFlushRefusals = new LogSampler();
  const auth = new Authenticator(database.db, config.AUTH, (err) => {
    if (!isDatabaseUnavailable(err)) logger.error({ err }, 'recording when API keys were last used failed');
    else
      logRefusal(
        keyFlushRefusals,
        logger,
        err,
        {},
        {
          away: 'recording when API keys were last used failed: the database is unavailable',
          operator: 'recording when API keys were last used failed: the database refuses it until an operator acts',
        },
      );
  });
  const app = createApp({
    router: createAppRouter({ validateOutput: config.VALIDATE_OUTPUT }),
    db: database.db,
    logger,
    metrics,
    changes,
    hub,
    analysis,
    alerts,
    auth,
    corsOrigins: config.CORS_ORIGINS,
    rateLimits: {
      general: { perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST },
      ingest: { perSecond: config.INGEST_RATE_LIMIT_PER_SECOND, burst: config.INGEST_RATE_LIMIT_BURST },
    },
    maxStreamsPerClient: config.MAX_STREAMS_PER_CLIENT,
    maxBodyBytes: config.MAX_BODY_BYTES,
    accessLog: config.ACCESS_LOG,
    ...(opts.pingIntervalMs ? { pingIntervalMs: opts.pingIntervalMs } : {}),
  });
  // Idempotency keys are kept 24 h; sweeping hourly keeps the table small (a claim also ignores expired keys).
  const sweeper = setInterval(() => {
    sweepIdempotencyKeys(database.db).catch((err: unknown) => {
      // Hourly, so never a flood: only the level depends on whether a person must act.
      if (isDatabaseUnavailable(err) && !needsOperator(err)) logger.warn({ err }, 'idempotency key sweep failed');
      else logger.error({ err }, 'idempotency key sweep failed');
    });
  }, 3_600_000);
  sweeper.unref();
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(sweeper);
      clearTimeout(readOnlyEpisode);
      app.stop();
      await partitions.stop();
      await alerts.stop();
      stopWatchingIncidents();
      await hub.close();
      await analysis.close();
      await auth.close();
      await database.close();
    })());
  return { app, database, metrics, changes, hub, logger, auth, close };
}

/** Whether `host` is a loopback address: nobody else can connect to a server listening only there. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The one command that makes a listening server safe: it is printed when the server refuses to start. */
export const FIRST_KEY_COMMAND = 'npx warroom keys create --name admin --scopes admin';

/**
 * AUTH=auto is open only while nobody else can reach the server: bound beyond loopback with no key, it refuses to
 * start. AUTH=off starts anyway, with a warning.
 */
async function checkExposure(config: Config, db: Kysely<Database>, logger: Logger): Promise<void> {
  if (config.AUTH === 'required' && !(await anyApiKey(db))) {
    logger.warn(
      `AUTH=required and no API key exists: every request will be refused until one is made (${FIRST_KEY_COMMAND})`,
    );
  }
  if (isLoopback(config.HOST)) return;
  if (config.AUTH === 'off') {
    logger.warn({ host: config.HOST }, 'AUTH=off: anyone who can reach this address can read and change everything');
    return;
  }
  if (config.AUTH === 'auto' && !(await anyApiKey(db))) {
    throw new ConfigError(
      `HOST=${config.HOST} listens beyond loopback and no API key exists, so anyone could read and change everything.\n` +
        `Create a key first:  ${FIRST_KEY_COMMAND}\n` +
        'or listen on loopback (HOST=127.0.0.1), or set AUTH=off to accept the risk.',
    );
  }
}

/** What a failed listen(2) most likely means, by its errno, for the one line the process exits with. */
function listenHint(code: string, config: Config): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'is another server using the port?';
    case 'EACCES':
      return `port ${config.PORT} needs privileges; use a port above 1023`;
    case 'EADDRNOTAVAIL':
      return `HOST ${config.HOST} is not an address of this machine`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `HOST ${config.HOST} does not resolve to an address`;
    default:
      return 'check HOST and PORT';
  }
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const warroom = await createWarroom(config, opts);
  const { logger } = warroom;
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      // What @hono/node-server's serve() builds, with requests no route can take (no Host, `OPTIONS *`) answered
      // first in the one error body rather than with node's or the adapter's empty 400 (src/http/client-errors.ts).
      // The host a request without Host (HTTP/1.0) is taken to be for: an IPv6 address in brackets (RFC 3986 §3.2.2),
      // or the adapter cannot make a URL of it.
      const listener = getRequestListener(warroom.app.app.fetch, {
        hostname: isIPv6(config.HOST) ? `[${config.HOST}]` : config.HOST,
        errorHandler: adapterErrorResponse,
      });
      const s = createHttpServer(
        {
          // Checked by refusingUnroutable, which answers in the one error shape.
          requireHostHeader: false,
          headersTimeout: config.HEADERS_TIMEOUT_MS,
          // Node checks the timeouts above on this period (30 s by default): a tenth of the limit keeps it close.
          connectionsCheckingInterval: Math.max(500, Math.floor(config.HEADERS_TIMEOUT_MS / 10)),
        },
        refusingUnroutable(listener, logger, warroom.metrics),
      );
      // A taken port or a missing address is reported on the next tick as an 'error' event.
      s.once('error', reject);
      s.listen(config.PORT, config.HOST, () => resolve(s));
    });
  } catch (err) {
    await warroom.close();
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'unknown error';
    throw new ConfigError(`cannot listen on ${config.HOST}:${config.PORT} (${code}); ${listenHint(code, config)}`, {
      cause: err,
    });
  }
  // After listening, an error on the server itself (not on one connection) is logged, never a crash.
  server.on('error', (err) => logger.error({ err }, 'HTTP server error'));
  answerClientErrors(server, logger, warroom.metrics);
  warroom.app.injectWebSocket(server);
  const port = (server.address() as AddressInfo).port;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  // An IPv6 address goes in brackets in a URL (RFC 3986 §3.2.2).
  const url = `http://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  // `code`: compiled JavaScript from dist/ (npm start after npm ci) or the TypeScript sources (tests, npm run dev).
  const code = COMPILED ? 'dist' : 'sources';
  logger.info({ url, database: warroom.database.kind, code }, 'warroom listening');

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000, drainMs = 0): Promise<void> => {
    closing ??= (async () => {
      if (drainMs > 0) {
        // Whoever is in the listen backlog or about to reuse a keep-alive connection now gets an answer (and a
        // closed connection) instead of a reset when the listener closes.
        warroom.app.drain();
        logger.info({ drainMs }, 'draining: answering with Connection: close, readiness probes 503');
        await new Promise((resolve) => setTimeout(resolve, drainMs));
      }
      // Open sockets would hold server.close() open: the rooms close them first (warroom.close() repeats both,
      // harmlessly: they are idempotent).
      warroom.app.stop();
      await warroom.hub.close();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          logger.warn({ graceMs }, 'in-flight requests did not finish in time; closing connections');
          if ('closeAllConnections' in server) server.closeAllConnections();
        }, graceMs);
        force.unref();
        // Idle keep-alive sockets would hold close() open until their keep-alive timeout (5 s): closed now, and
        // again as busy ones go idle. A response begun after close() is sent with `Connection: close`, but one whose
        // headers went out before (an SSE subscription stream, ended by the hub) stays keep-alive once it ends.
        const closeIdle = (): void => {
          if ('closeIdleConnections' in server) server.closeIdleConnections();
        };
        const sweep = setInterval(closeIdle, 50);
        server.close(() => {
          clearTimeout(force);
          clearInterval(sweep);
          resolve();
        });
        closeIdle();
      });
      await warroom.close();
      logger.info('warroom stopped');
    })();
    return closing;
  };
  const { app, database, metrics, changes, hub, auth } = warroom;
  return { app, database, metrics, changes, hub, logger, auth, url, port, close };
}
