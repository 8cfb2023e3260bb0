// The `warroom` CLI: serve | migrate | keys | integrations | openapi | templates.
import { readFile, writeFile } from 'node:fs/promises';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/connect.js';
import { prepareDatabase } from './db/migrator.js';
import { isDatabaseUnavailable } from './db/errors.js';
import { integrationsCommand } from './integrations-cli.js';
import { capHeapGrowth } from './heap-growth.js';
import { keysCommand } from './keys-cli.js';
import { startServer, type RunningServer } from './server.js';

const USAGE = `usage: warroom <command>
  serve              start the server (PORT, HOST, AUTH, DATABASE_URL, DATA_DIR, LOG_LEVEL)
  migrate            apply database migrations and exit
  keys create --name NAME --scopes SCOPES [--expires-in 90d] | keys list | keys revoke NAME|ID
  integrations create --name NAME --kind KIND [--settings JSON] | integrations list
  integrations show|rotate-secret|delete ID | integrations update ID [--name NAME] [--settings JSON]
  openapi [--check]  rewrite openapi.json from the code (--check: fail if it differs)
  templates FILE     mine log templates: one JSON line per input line`;

/**
 * The last line of defence. An unhandled rejection or an exception from an I/O callback (a socket reset, a database
 * connection lost) is logged and counted in /metrics (`warroom_unhandled_errors_total`), and the server goes on: it
 * is what must still stand when everything else fails. Any other uncaught exception is a broken invariant in our own
 * code: it is logged and the process exits 1, for the supervisor to restart it with clean state.
 */
function installLastResort(server: RunningServer): void {
  const { logger, metrics } = server;
  process.on('unhandledRejection', (reason) => {
    metrics.unhandledErrors.inc({ kind: 'rejection' });
    logger.error({ err: reason }, 'unhandled promise rejection (the server goes on)');
  });
  process.on('uncaughtException', (err) => {
    metrics.unhandledErrors.inc({ kind: 'exception' });
    if (isIoError(err)) {
      logger.error({ err }, 'uncaught I/O error (the server goes on)');
      return;
    }
    logger.fatal({ err }, 'uncaught exception: a broken invariant; exiting');
    process.exit(1);
  });
}

/** Errors from the network or the database: the world failed, not our code. */
function isIoError(err: unknown): boolean {
  if (isDatabaseUnavailable(err)) return true;
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  return /^(E[A-Z]+|ERR_STREAM_|ERR_SOCKET_|ERR_HTTP_)/.test(code);
}

/** After a signal during start-up, how long start-up may take to finish before the process gives up on it. */
const STARTUP_SIGNAL_GRACE_MS = 10_000;

/**
 * Exits 1 without a clean shutdown: only while start-up is still running, when nothing is served yet. The embedded
 * PostgreSQL, if one started, stops by itself when this process's end closes its stdin (src/db/embedded-postgres.ts).
 */
function abandonStartup(why: string): never {
  console.error(`warroom: ${why}; exiting without finishing start-up`);
  process.exit(1);
}

async function serveCommand(): Promise<void> {
  const config = loadConfig();
  capHeapGrowth(config.HEAP_GROWING_PERCENT);
  // Listened for before the server starts: a signal that arrives between the 'warroom listening' line and the end
  // of start-up (a supervisor, or a test, reacting to that line) is a clean shutdown too, not the default exit.
  const started: { server?: RunningServer; signal?: 'SIGTERM' | 'SIGINT'; grace?: NodeJS.Timeout } = {};
  const shutdown = (running: RunningServer, signal: 'SIGTERM' | 'SIGINT'): void => {
    running.logger.info({ signal }, 'shutting down');
    // A supervisor's SIGTERM drains first; Ctrl-C at a terminal stops at once.
    running.close(undefined, signal === 'SIGTERM' ? config.SHUTDOWN_DRAIN_MS : 0).then(
      () => process.exit(0),
      (err: unknown) => {
        running.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (started.server) {
        if (started.signal === undefined) {
          started.signal = signal;
          shutdown(started.server, signal);
        } else {
          // A second signal while shutting down: whoever sent it will not wait (Ctrl-C twice).
          started.server.logger.warn({ signal }, 'second signal while shutting down; exiting now');
          process.exit(1);
        }
        return;
      }
      // During start-up: shut down cleanly once it ends, unless it does not end within the grace (a database that
      // accepts connections and never answers, a data directory Node cannot create) or a second signal comes.
      if (started.signal !== undefined) abandonStartup(`a second ${signal} during start-up`);
      started.signal = signal;
      started.grace = setTimeout(
        () => abandonStartup(`start-up did not finish within ${STARTUP_SIGNAL_GRACE_MS / 1000} s of ${signal}`),
        STARTUP_SIGNAL_GRACE_MS,
      );
      started.grace.unref();
    });
  }
  const server = await startServer(config);
  // Start-up ended in time: the shutdown below takes as long as it needs (its drain and grace), not this timer's.
  clearTimeout(started.grace);
  started.server = server;
  installLastResort(server);
  if (started.signal) shutdown(server, started.signal);
}

async function migrateCommand(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    preparedStatements: config.DB_PREPARED_STATEMENTS === 'on',
    joinRunning: true,
  });
  try {
    const result = await prepareDatabase(database.db, config);
    const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await database.close();
  }
}

async function openapiCommand(args: string[]): Promise<void> {
  // Imported here, not at the top: `serve` never renders the document at start-up (src/app.ts says why).
  const { OPENAPI_PATH, renderOpenApi } = await import('./rest/document.js');
  const fresh = renderOpenApi();
  if (args.includes('--check')) {
    const committed = await readFile(OPENAPI_PATH, 'utf8').catch(() => '');
    if (committed !== fresh) {
      console.error('openapi.json is out of date with the code; run `npx warroom openapi` and commit it');
      process.exitCode = 1;
      return;
    }
    console.log('openapi.json matches the code');
    return;
  }
  await writeFile(OPENAPI_PATH, fresh);
  console.log(`wrote ${OPENAPI_PATH}`);
}

async function templatesCommand(args: string[]): Promise<void> {
  const file = args[0];
  if (!file) throw new ConfigError('usage: warroom templates FILE');
  // `warroom templates big.log | head` closes the pipe early; that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const { runTemplatesCli } = await import('./analysis/templates/cli.js');
  await runTemplatesCli(file, process.stdout);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'serve':
      return serveCommand();
    case 'migrate':
      return migrateCommand();
    case 'keys':
      return keysCommand(args);
    case 'integrations':
      return integrationsCommand(args);
    case 'openapi':
      return openapiCommand(args);
    case 'templates':
      return templatesCommand(args);
    default:
      console.error(USAGE);
      process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // A configuration mistake or a missing file is the user's to fix: say what, without a stack trace.
  // node:util parseArgs refusals (ERR_PARSE_ARGS_UNKNOWN_OPTION, …) are the user's too.
  const userError =
    err instanceof ConfigError ||
    (err instanceof Error && 'code' in err && 'path' in err) ||
    (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS_'));
  console.error(userError ? `warroom: ${(err as Error).message}` : err);
  process.exit(1);
});
