// The environment, validated by one Zod schema at boot; a bad value stops the process with a message naming it.
import { z } from 'zod';

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

// An http(s) URL: the LLM client speaks HTTP only, so `ftp://…` would fail at every analysis instead of at start.
const optionalUrl = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
);

/**
 * A number written in decimal digits (`fraction`: a decimal point allowed), surrounding spaces ignored. z.coerce
 * alone would also take `0x1F40`, `8e3`, `8000.0` or `Infinity`, which a typo makes and nobody means.
 */
const decimal = (fraction: 'whole' | 'fraction' = 'whole') =>
  z
    .string()
    .trim()
    .regex(fraction === 'whole' ? /^\d+$/ : /^\d+(\.\d+)?$/, {
      error: fraction === 'whole' ? 'must be a whole number in decimal digits' : 'must be a decimal number',
    })
    .transform(Number);
/**
 * `entry` as the Origin header a browser sends for it (RFC 6454 §6.1: lowercase scheme and host, no default port),
 * or undefined unless it is exactly an http(s) origin: no path, query, credentials or wildcard, which would match
 * nothing and leave CORS silently off.
 */
function originOf(entry: string): string | undefined {
  if (!URL.canParse(entry)) return undefined;
  const url = new URL(entry);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/' || entry.includes('*'))
    return undefined;
  // `https://host/` parses with pathname '/', as does `https://host`; anything after the host was refused above.
  return url.origin;
}

/** The longest duration Node's timers and PostgreSQL's `statement_timeout` take (2^31 - 1 ms, about 24.8 days). */
const MAX_MS = 2_147_483_647;

export const ConfigSchema = z.object({
  PORT: decimal().pipe(z.number().int().min(0).max(65535)).default(8000),
  /**
   * Loopback by default: listening beyond it is a choice, and (with AUTH=auto) needs a key first. Trimmed, and an
   * IPv6 address taken with or without the brackets a URL writes it in (`[::1]`).
   */
  HOST: z
    .string()
    .trim()
    .min(1)
    .transform((h) => (/^\[[^\]]*\]$/.test(h) ? h.slice(1, -1) : h))
    .default('127.0.0.1'),
  /** auto: open while no key exists on a loopback-only server, enforced once any key exists; required; off. */
  AUTH: z.enum(['auto', 'required', 'off']).default('auto'),
  /** Comma-separated origins allowed by CORS and on room upgrades that carry an Origin; empty: none (CORS off). */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const origins: string[] = [];
      for (const entry of v.split(',').map((o) => o.trim().replace(/\/+$/, ''))) {
        if (entry === '') continue;
        const origin = originOf(entry);
        if (origin === undefined) {
          ctx.issues.push({
            code: 'custom',
            input: entry,
            message: `${JSON.stringify(entry)} is not an origin: give scheme, host and port if not the default, e.g. https://console.example.com (no * and no path)`,
          });
        } else origins.push(origin);
      }
      return origins;
    }),
  DATABASE_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// or postgresql:// URL' })
      .optional(),
  ),
  /** Requests a second per key (per address on an open server; loopback is not limited), and the burst; 0: off. */
  RATE_LIMIT_PER_SECOND: decimal('fraction').pipe(z.number().min(0)).default(50),
  RATE_LIMIT_BURST: decimal().pipe(z.number().int().min(1)).default(200),
  /** The same for POSTs of events, separate and generous: an outage is when senders burst. */
  INGEST_RATE_LIMIT_PER_SECOND: decimal('fraction').pipe(z.number().min(0)).default(1000),
  INGEST_RATE_LIMIT_BURST: decimal().pipe(z.number().int().min(1)).default(5000),
  /**
   * Room sockets and SSE subscriptions one key (one address on an open server; loopback is not limited) may hold
   * open at once on an instance; 0: off. A console tab holds one or two.
   */
  MAX_STREAMS_PER_CLIENT: decimal().pipe(z.number().int().min(0)).default(100),
  /**
   * How long a client has to send a request's headers (ms): a connection that has not is answered 408 and closed.
   * Node's own 60 s, checked every 30 s, let 500 slow-header connections sit for over a minute (review, 2026-12-02).
   */
  HEADERS_TIMEOUT_MS: decimal().pipe(z.number().int().min(1000).max(300_000)).default(15_000),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: LogLevel.default('info'),
  /** 'errors': an access-log line only for status >= 400 or requests slower than 1 s; 'all': one per request. */
  ACCESS_LOG: z.enum(['errors', 'all']).default('errors'),
  /** Upper bound on one request body; a batch of 1000 events fits with room to spare. */
  MAX_BODY_BYTES: decimal()
    .pipe(z.number().int().min(1024))
    .default(8 * 1024 * 1024),
  DB_POOL_SIZE: decimal().pipe(z.number().int().min(1).max(200)).default(10),
  /** PostgreSQL `statement_timeout` (ms) for the server's connections; 0 turns it off. Migrations are exempt. */
  DB_STATEMENT_TIMEOUT_MS: decimal().pipe(z.number().int().min(0).max(MAX_MS)).default(15_000),
  /**
   * At start, how long (ms) to keep trying a database that is not reachable yet (refused, unresolvable, starting up)
   * before giving up; 0 gives up at the first refusal. Wrong credentials or a missing database fail at once.
   */
  DB_STARTUP_WAIT_MS: decimal().pipe(z.number().int().min(0).max(MAX_MS)).default(60_000),
  /**
   * `on`: the hot statements run as server-side prepared statements (src/db/named-statements.ts). `off` behind a
   * pooler that cannot keep them (PgBouncer in transaction mode before 1.21, or with max_prepared_statements = 0).
   */
  DB_PREPARED_STATEMENTS: z.enum(['on', 'off']).default('on'),
  /** Optional OpenAI-compatible endpoint (e.g. a local Ollama) that refines the built-in analysis. */
  LLM_BASE_URL: optionalUrl,
  LLM_MODEL: z.string().optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_TIMEOUT_MS: decimal().pipe(z.number().int().min(100).max(MAX_MS)).default(15_000),
  /** Minimum gap between two analyses of one incident triggered by ingest; bursts in between are coalesced. */
  ANALYSIS_DEBOUNCE_MS: decimal().pipe(z.number().int().min(0).max(MAX_MS)).default(2000),
  /**
   * After SIGTERM, how long (ms) requests are still accepted and answered, each response closing its connection,
   * while /health and /readyz answer 503, before the listener closes (then in-flight requests get up to 10 s).
   * Covers the moment a load balancer takes to stop routing here; 0 closes the listener at once. SIGINT (Ctrl-C)
   * never drains.
   */
  SHUTDOWN_DRAIN_MS: decimal().pipe(z.number().int().min(0).max(120_000)).default(1000),
  /** How often alert groups are swept for quiet periods, flapping and ended silences (ms). */
  ALERT_SWEEP_INTERVAL_MS: decimal().pipe(z.number().int().min(100).max(60_000)).default(1000),
  /**
   * Events are kept this many days after they arrive, then dropped a week's partition at a time (so they live
   * between N and N + 7 days); empty or unset: kept forever. Incidents keep their summary and analysis.
   */
  EVENT_RETENTION_DAYS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    decimal().pipe(z.number().int().min(1).max(36_500)).optional(),
  ),
  /**
   * Heap growth between V8's full collections, in percent of what survived the last one, on heaps where V8 would
   * allow up to 4x (src/heap-growth.ts); 0 leaves V8's own factor (a little less collector work, ~1.5x the memory
   * after load).
   */
  HEAP_GROWING_PERCENT: decimal().pipe(z.number().int().min(0).max(100)).default(50),
  /** Check every response against its output schema (a 500 instead of a malformed body). Off in production for speed. */
  VALIDATE_OUTPUT: z.stringbool().default(false),
});
export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Validates the environment. An empty or blank variable counts as unset, so it takes its default: `PORT=` in a
 * compose file or a unit must not mean port 0, nor `RATE_LIMIT_PER_SECOND=` or `DB_STATEMENT_TIMEOUT_MS=` "off"
 * (numbers coerce '' to 0). Throws ConfigError naming every bad value.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = ConfigSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
