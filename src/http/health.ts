// Health endpoints: /health (the documented one), /livez (the process runs) and /readyz (the database answers, with
// Warroom's schema in it), as Kubernetes probes expect. A probe never hangs for longer than HEALTH_TIMEOUT_MS and never
// puts database error text in its body (it goes to the log).
import { sql, type Kysely } from 'kysely';
import type { Context, Hono } from 'hono';
import type { Database } from '../db/types.js';
import type { AppEnv } from './env.js';
import { RETRY_AFTER_SECONDS } from './errors.js';
import { LogSampler } from '../log-sampler.js';

export const HEALTH_TIMEOUT_MS = 2000;

/** Failed probes are logged once a second per reason (src/log-sampler.ts). */
const probeFailures = new LogSampler();

/**
 * Every table the server reads and writes: a record over the Database type, so a table added there must be added here
 * (the compiler says so). An outage drill (2026-12-02) renamed `events` away and /readyz said ready while every
 * ingest failed, the probe looking at `incidents` alone.
 */
const TABLES: Record<keyof Database, true> = {
  incidents: true,
  incident_tags: true,
  events: true,
  timeline_entries: true,
  actions: true,
  room_frames: true,
  idempotency_keys: true,
  api_keys: true,
  room_tickets: true,
  integrations: true,
  alert_groups: true,
  alerts: true,
  silences: true,
  alert_deliveries: true,
};
const TABLE_NAMES = Object.keys(TABLES);

/** Why a probe failed: the reason for the log, and whether only an operator can mend it (tables or grants missing). */
interface ProbeFailure {
  reason: string;
  needsOperator: boolean;
}

/**
 * `true`, or why the database is not usable. The probe looks for Warroom's schema, not just `select 1`:
 * a database dropped and re-created empty under a running server (a restore gone wrong) answered `select 1` and was
 * reported ready while every request failed (operations review, 2026-12-02). It looks the table up in the catalog
 * (to_regclass takes no lock on it): a first version read the table (`limit 0`), which waited behind any lock on it, so
 * a migration's ALTER, a REINDEX or a VACUUM FULL made every instance unready at once and the probes filled the pool
 * (review, 2026-12-02). to_regclass ignores privileges, so the role's right to use the table is checked as well
 * (has_table_privilege, also lock-free): a restore with `--no-owner` left it without them. Every table (TABLES) is
 * looked up, and the role must be able to read and insert into each (every one takes inserts) and update incidents;
 * finer grants than those are the operator's own design and not second-guessed here.
 */
async function databaseAnswers(db: Kysely<Database>): Promise<true | ProbeFailure> {
  const away = (reason: string): ProbeFailure => ({ reason, needsOperator: false });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeFailure>((resolve) => {
    timer = setTimeout(() => resolve(away(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
  });
  try {
    // Each privilege asked on its own: given a list, has_table_privilege answers whether the role holds any of them.
    // Asked of the table's oid, it answers null (not an error) for a table that is not there.
    // And the sequences those tables draw from (events.seq, the bigserial ids): a restore that granted the tables
    // but not USAGE on their sequences failed every insert while ready (a review, 2026-12-02).
    const probe = sql<{ unusable: string | null }>`select string_agg(name, ', ' order by name) as unusable from (
      select t as name from unnest(${TABLE_NAMES}::text[]) t
        where not coalesce(has_table_privilege(to_regclass(t), 'SELECT')
          and has_table_privilege(to_regclass(t), 'INSERT')
          and (t <> 'incidents' or has_table_privilege(to_regclass(t), 'UPDATE')), false)
      union all
      select distinct s.relname::text from pg_depend d
        join pg_class s on s.oid = d.objid
        where d.classid = 'pg_class'::regclass
          and d.refobjid = any(array(select to_regclass(t) from unnest(${TABLE_NAMES}::text[]) t))
          -- A case, so the privilege is asked of sequences only (a filter beside it may run after it).
          and case when s.relkind = 'S' then not has_sequence_privilege(s.oid, 'USAGE') else false end
    ) refused`
      .execute(db)
      .then(
        (result): true | ProbeFailure => {
          const unusable = result.rows[0]?.unusable;
          return unusable
            ? { reason: `missing, or not writable by this role: ${unusable}`, needsOperator: true }
            : true;
        },
        (err: unknown) => away(err instanceof Error ? err.message : String(err)),
      );
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function mountHealth(app: Hono<AppEnv>, db: Kysely<Database>): void {
  const probe = (ok: string, notOk: string) =>
    async function databaseProbe(c: Context<AppEnv>): Promise<Response> {
      const answer = await databaseAnswers(db);
      if (answer === true) return c.json({ status: ok });
      // Probed every few seconds by each balancer and supervisor: one line a second, not one a probe.
      const logged = probeFailures.take(answer.reason);
      // Tables missing or not usable will not pass by themselves: an error, as for requests refused so.
      if (logged && answer.needsOperator)
        c.get('log')().error(
          { reason: answer.reason, ...logged },
          "health check: the database lacks Warroom's tables or grants",
        );
      else if (logged)
        c.get('log')().warn({ reason: answer.reason, ...logged }, 'health check: the database is not answering');
      c.header('Retry-After', String(RETRY_AFTER_SECONDS));
      return c.json({ status: notOk }, 503);
    };
  getWithSlash(app, '/health', probe('healthy', 'unhealthy'));
  getWithSlash(app, '/readyz', probe('ready', 'not ready'));
  getWithSlash(app, '/livez', (c) => c.json({ status: 'alive' }));
}

/**
 * The plain GET routes beside the REST facade (probes, metrics, the OpenAPI document): like the documented paths,
 * answered with and without a trailing slash, and any other method is 405 (app.ts), not 404.
 */
export const PLAIN_GET_PATHS = ['/health', '/readyz', '/livez', '/metrics', '/openapi.json'] as const;

/** Registers `handler` for GET (and HEAD) at `path` and at `path/`. */
export function getWithSlash(
  app: Hono<AppEnv>,
  path: (typeof PLAIN_GET_PATHS)[number],
  handler: (c: Context<AppEnv>) => Response | Promise<Response>,
): void {
  app.get(path, handler);
  app.get(`${path}/`, handler);
}
