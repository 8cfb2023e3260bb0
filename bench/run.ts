// The benchmark suite: Warroom as a real server process under load from this process, beside the database's own
// ceiling and a hand-written Hono baseline measured in the same run, so the figures that matter are ratios.
// Usage: npm run bench [-- --embedded] [-- --quick] [-- --soak=SECONDS]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../src/db/migrator.js';
import type { Database } from '../src/db/types.js';
import { scratchDatabase, spawnServer, spawnWarroom, type BenchProcess } from './lib/servers.js';
import { analysisMedianMs } from './analysis.js';
import { MinimalTable, pgCeiling, tableRows } from './lib/ceiling.js';
import { machineCpuMs, processCpuMs } from './lib/cpu.js';
import {
  loadMedian,
  loadOnce,
  median,
  rssMiB,
  summarize,
  type LoadRun,
  type LoadSpec,
  type LoadSummary,
} from './lib/load.js';
import { seedScale } from './lib/seed.js';
import { listEventPartitions, maintainEventPartitions } from '../src/db/event-partitions.js';
import { footprint, timeToHealthy } from './lib/footprint.js';
import { startPythonPeer } from './lib/python-peer.js';
import { batchBody, batchRows, eventBody, incidentBody } from './lib/workload.js';
import { chatThroughput, fanout } from './rooms.js';

const args = process.argv.slice(2);
const embedded = args.includes('--embedded');
const quick = args.includes('--quick');
const RUNS = 3;
/**
 * Batch ingest and its ceiling vary most from run to run (single runs of either range over ±20% on this machine),
 * so they take more runs: with 5 of each, two full runs of the same code gave ratios 0.08 apart.
 */
const BATCH_RUNS = quick ? 3 : 9;
const SECONDS = quick ? 3 : 5;
/** `--soak=SECONDS` runs the soak longer: 300 s can end inside the step a heap takes to reach its steady size. */
const soakArg = args.find((a) => a.startsWith('--soak='));
const SOAK_SECONDS = soakArg ? Number(soakArg.slice('--soak='.length)) : quick ? 30 : 300;
if (!Number.isFinite(SOAK_SECONDS) || SOAK_SECONDS < 30) throw new Error('--soak=SECONDS needs at least 30');
const BATCH = 500;
const SCALE_INCIDENTS = 100_000;
/** The scale phase's events arrive over this many weeks, one partition each. */
const SCALE_WEEKS = 52;
const CONNS = 32;
const PG = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

interface Row {
  measure: string;
  value: string;
  target?: string;
  ok?: boolean;
}
const rows: Row[] = [];
const results: Record<string, unknown> = {};
const failures: string[] = [];

function record(key: string, measure: string, value: string, extra: Omit<Row, 'measure' | 'value'> = {}): void {
  rows.push({ measure, value, ...extra });
  results[key] = { measure, value, ...extra };
  console.error(
    `  ${measure}: ${value}${extra.target ? ` (target ${extra.target}: ${extra.ok ? 'met' : 'MISSED'})` : ''}`,
  );
}

function checkNoFailures(name: string, s: LoadSummary): void {
  if (s.non2xx + s.errors > 0) failures.push(`${name}: ${s.non2xx} non-2xx, ${s.errors} errors of ${s.requests}`);
}

// Server logs go to files, not to a pipe this process (the load generator) would have to drain.
const logDir = await mkdtemp(join(tmpdir(), 'warroom-bench-logs-'));
let logCount = 0;
const logFile = (name: string): string => join(logDir, `${name}-${++logCount}.log`);
console.error(`server logs: ${logDir}`);

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** An unrecorded 2 s of the same load first, so JIT warm-up is not measured (for Warroom and the baseline alike). */
async function warmUp(spec: LoadSpec): Promise<void> {
  await loadOnce({ ...spec, seconds: 2 });
}

/** One unlabelled metric from the server's own /metrics; undefined when it is not there. */
async function metricValue(w: BenchProcess, name: string): Promise<number | undefined> {
  const text = await (await w.api('/metrics')).text();
  const value = new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}

/** Waits until the server's analysis backlog has drained, so one phase's background work does not bill the next. */
async function settle(w: BenchProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const waiting = (await metricValue(w, 'analysis_waiting')) ?? 0;
    if (waiting === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 1000));
}

/** CPU per batch (ms): the whole machine's, and its parts (bench/run.ts, the batch phase). */
interface BatchCpu {
  machine: number;
  server: number;
  bench: number;
  database: number;
}

interface Side {
  spec: LoadSpec;
  pid: number | undefined;
  /** Run before each measured run of this side, e.g. to let Warroom's background analysis drain. */
  before?: () => Promise<void>;
}
interface PairedResult {
  ours: LoadSummary;
  theirs: LoadSummary;
  /** Server CPU per request, µs (median over runs). */
  oursCpuUs: number;
  theirsCpuUs: number;
}

/**
 * Warroom and the baseline measured alternately (A B A B A B), so drift on a shared machine hits both sides alike;
 * each figure is the median of its side's runs.
 */
async function paired(ours: Side, theirs: Side, runs: number): Promise<PairedResult> {
  await warmUp(ours.spec);
  await warmUp(theirs.spec);
  const o: LoadRun[] = [];
  const t: LoadRun[] = [];
  const oc: number[] = [];
  const tc: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [side, out, cpu] of [
      [ours, o, oc],
      [theirs, t, tc],
    ] as const) {
      await side.before?.();
      const c0 = await processCpuMs(side.pid);
      const r = await loadOnce(side.spec);
      cpu.push((((await processCpuMs(side.pid)) - c0) * 1000) / Math.max(1, r.requests));
      out.push(r);
    }
  }
  return { ours: summarize(o), theirs: summarize(t), oursCpuUs: median(oc), theirsCpuUs: median(tc) };
}

/**
 * The embedded default as a newcomer meets it, three times each: `npm start` on an empty DATA_DIR (initdb and
 * migrations included) and again on the same directory, each timed to the first 200 from /health.
 */
async function startupFigures(): Promise<void> {
  const first: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-start-'));
    try {
      const a = await timeToHealthy({ DATA_DIR: dir, DATABASE_URL: '' });
      first.push(a.ms);
      await a.w.stop();
      const b = await timeToHealthy({ DATA_DIR: dir, DATABASE_URL: '' });
      warm.push(b.ms);
      await b.w.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const show = (xs: number[]): string => `${fmt(median(xs) / 1000, 2)} (${xs.map((x) => fmt(x / 1000, 2)).join(', ')})`;
  record('start_first', 'first start on an empty DATA_DIR to /health 200 (s): median (runs)', show(first), {
    target: '< 5',
    ok: median(first) < 5000,
  });
  record('start_warm', 'warm start on the same DATA_DIR to /health 200 (s): median (runs)', show(warm), {
    target: '< 1.5',
    ok: median(warm) < 1500,
  });
}

/**
 * Warroom against the Python peer, interleaved: incident create (issue 18's target: at least 1.5x the peer) and
 * batch ingest. The peer gets a fresh database with Warroom's schema and one incident for its events.
 */
async function pythonPeerPhase(opts: {
  adminUrl: string;
  incidentId: string;
  ours: { create: LoadSpec; batch: LoadSpec };
  oursSide: (spec: LoadSpec) => Side;
  cleanups: Array<() => Promise<unknown>>;
}): Promise<void> {
  const peerDb = await scratchDatabase(opts.adminUrl);
  opts.cleanups.push(peerDb.drop);
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: peerDb.url, max: 1 }) }),
  });
  await migrateToLatest(db);
  const peerIncident = (
    await db
      .insertInto('incidents')
      .values({ title: 'peer incident', severity: 'high', source: 'bench' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  await db.destroy();
  console.error('  installing the Python peer (pip, throw-away virtual environment)');
  const peer = await startPythonPeer(peerDb.url, logFile('python-peer'));
  if ('skipped' in peer) {
    record('python_peer', 'Python peer (FastAPI + asyncpg, one uvicorn worker)', `skipped: ${peer.skipped}`);
    return;
  }
  try {
    const side = (spec: LoadSpec): Side => ({ spec, pid: peer.child.pid });
    const create = await paired(
      opts.oursSide(opts.ours.create),
      side({ ...opts.ours.create, url: `${peer.url}/api/incidents/` }),
      RUNS,
    );
    const batch = await paired(
      opts.oursSide(opts.ours.batch),
      side({
        ...opts.ours.batch,
        url: `${peer.url}/api/ingest/events/batch`,
        body: JSON.stringify(batchBody(peerIncident, BATCH)),
      }),
      RUNS,
    );
    checkNoFailures('python peer create', create.theirs);
    checkNoFailures('python peer batch', batch.theirs);
    const ratio = create.ours.rps / create.theirs.rps;
    record(
      'python_create',
      `Python peer: POST /api/incidents/, ${CONNS} connections (req/s); Warroom in the same runs`,
      `${fmt(create.theirs.rps)}; Warroom ${fmt(create.ours.rps)}`,
    );
    record('create_vs_python', 'incident create, Warroom / Python peer (runs interleaved)', fmt(ratio, 2), {
      target: '≥ 1.50',
      ok: ratio >= 1.5,
    });
    record(
      'python_batch',
      `Python peer: batch ingest, ${BATCH} events/request, 4 clients (events/s); Warroom in the same runs`,
      `${fmt(batch.theirs.rps * BATCH)}; Warroom ${fmt(batch.ours.rps * BATCH)} (×${fmt(batch.ours.rps / batch.theirs.rps, 2)})`,
    );
  } finally {
    await peer.stop();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const cleanups: Array<() => Promise<unknown>> = [];
  let env: Record<string, string>;
  let pgVersion: string;
  let baselineUrl: string | undefined;
  // Where Warroom's database is, for the bench's own connections (the ceiling, seeding, the baseline's database).
  let appUrl: string;

  if (embedded) {
    await startupFigures();
    const dataDir = await mkdtemp(join(tmpdir(), 'warroom-bench-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    env = { DATA_DIR: dataDir, DATABASE_URL: '' };
    // The embedded server's socket (src/db/embedded-postgres.ts): other processes may connect while Warroom runs.
    appUrl = `postgresql://postgres@${encodeURIComponent(join(dataDir, 'run'))}:5432/postgres`;
  } else {
    const app = await scratchDatabase(PG);
    const base = await scratchDatabase(PG);
    cleanups.push(app.drop, base.drop);
    env = { DATABASE_URL: app.url };
    appUrl = app.url;
    baselineUrl = base.url;
  }

  const w = await spawnWarroom(env, logFile('warroom'));
  if (embedded) {
    const base = await scratchDatabase(appUrl);
    cleanups.push(base.drop);
    baselineUrl = base.url;
  }
  {
    const c = new pg.Client({ connectionString: appUrl });
    await c.connect();
    pgVersion = String((await c.query('show server_version')).rows[0]?.server_version ?? '?');
    await c.end();
  }
  await new Promise((r) => setTimeout(r, 3_000));
  const idle = await footprint(w.child.pid ?? -1);
  record(
    'idle_memory',
    embedded
      ? 'idle, after start-up: server RSS; server + embedded PostgreSQL, PSS (MiB)'
      : 'idle, after start-up: server RSS (MiB)',
    embedded ? `${fmt(idle.serverRss)}; ${fmt(idle.totalPss)}` : fmt(idle.serverRss),
    embedded ? { target: 'total < 250', ok: idle.totalPss < 250 } : { target: '< 120', ok: idle.serverRss < 120 },
  );
  const phaseRss: Record<string, number> = { start: await rssMiB(w.child.pid) };
  try {
    console.error(`warroom at ${w.url} (${embedded ? 'embedded ' : ''}PostgreSQL ${pgVersion})`);
    const incident = await json<{ id: string }>(await w.api('/api/incidents/', { json: incidentBody }));
    // A nearly empty database: a page of incidents and of events, so lists return full pages from the start.
    for (let i = 0; i < 59; i++)
      await w.api('/api/incidents/', { json: { ...incidentBody, title: `page filler ${i}` } });
    await w.api('/api/ingest/events/batch', { json: batchBody(incident.id, 200) });
    await settle(w);

    // The hand-written baseline, on its own database beside Warroom's.
    let b: BenchProcess | undefined;
    let baseId = '';
    if (baselineUrl) {
      const baseDb = new Kysely<Database>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: baselineUrl, max: 2 }) }),
      });
      await migrateToLatest(baseDb);
      // The same select must read the same row: the incident Warroom serves, analysis and all (~1.6 KB of JSON
      // where a bare row is ~0.4 KB), copied column for column. Until 2026-11-27 the baseline read a bare row.
      const appDb = new pg.Client({ connectionString: appUrl });
      await appDb.connect();
      const copy = (
        await appDb.query<{ row: string }>('select row_to_json(i)::text as row from incidents i where id = $1', [
          incident.id,
        ])
      ).rows[0];
      await appDb.end();
      if (!copy) throw new Error(`incident ${incident.id} is not in Warroom's database`);
      baseId = incident.id;
      await sql`insert into incidents select * from json_populate_record(null::incidents, ${copy.row}::json)`.execute(
        baseDb,
      );
      await baseDb.destroy();
      const started = await spawnServer(
        ['--import', 'tsx', 'bench/baseline-server.ts'],
        { DATABASE_URL: baselineUrl },
        'baseline listening',
        logFile('baseline'),
      );
      b = started;
      cleanups.unshift(() => started.stop());
    }
    const vsBaseline: Array<[key: string, label: string, result: PairedResult]> = [];
    const oursSide = (spec: LoadSpec): Side => ({ spec, pid: w.child.pid, before: () => settle(w) });

    const reads = async (label: string): Promise<Record<string, LoadSummary>> => {
      const specs: Record<string, LoadSpec> = {
        get: { url: `${w.url}/api/incidents/${incident.id}`, connections: CONNS, seconds: SECONDS },
        list: { url: `${w.url}/api/incidents/?status=open&limit=50`, connections: CONNS, seconds: SECONDS },
        events: { url: `${w.url}/api/ingest/events/${incident.id}?limit=100`, connections: CONNS, seconds: SECONDS },
        trpc: {
          url: `${w.url}/trpc/incidents.get?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { incident_id: incident.id } }))}`,
          connections: CONNS,
          seconds: SECONDS,
        },
      };
      const out: Record<string, LoadSummary> = {};
      for (const [k, spec] of Object.entries(specs)) {
        if (k === 'get' && b && label === 'reads') {
          const r = await paired(
            oursSide(spec),
            { spec: { ...spec, url: `${b.url}/incidents/${baseId}` }, pid: b.child.pid, before: () => settle(w) },
            RUNS,
          );
          vsBaseline.push(['get', 'incident get', r]);
          out[k] = r.ours;
        } else {
          await warmUp(spec);
          out[k] = await loadMedian(spec, RUNS);
        }
        checkNoFailures(`${label} ${k}`, out[k]);
      }
      return out;
    };
    const empty = await reads('reads');
    const get = empty.get;
    const list = empty.list;
    const evs = empty.events;
    const trpc = empty.trpc;
    if (!get || !list || !evs || !trpc) throw new Error('missing read results');
    record(
      'get',
      `GET /api/incidents/{id}, ${CONNS} connections (req/s; p50 / p99 ms)`,
      `${fmt(get.rps)}; ${get.p50} / ${get.p99}`,
    );
    record(
      'get_trpc',
      `the same through /trpc (batched link) (req/s; p50 / p99 ms)`,
      `${fmt(trpc.rps)}; ${trpc.p50} / ${trpc.p99}`,
    );
    record('list', `GET /api/incidents/?status=open&limit=50 (req/s; p99 ms)`, `${fmt(list.rps)}; ${list.p99}`);
    record('events', `GET /api/ingest/events/{id}?limit=100 (req/s; p99 ms)`, `${fmt(evs.rps)}; ${evs.p99}`);
    phaseRss.reads = await rssMiB(w.child.pid);
    await settle(w);

    // --- batch ingest vs the database ceiling
    const batchSpec: LoadSpec = {
      url: `${w.url}/api/ingest/events/batch`,
      method: 'POST',
      body: JSON.stringify(batchBody(incident.id, BATCH)),
      connections: 4,
      seconds: SECONDS,
    };
    // The same batches from a sender that does not read the echo (RFC 7240 `Prefer: return=minimal`): 201, no body.
    const minimalSpec: LoadSpec = { ...batchSpec, headers: { prefer: 'return=minimal' } };
    /**
     * CPU per batch while `run` loads the machine (ms): the whole machine's, and of it Warroom's process and this one
     * (the load generator, or the ceiling's `pg` client); the rest is PostgreSQL's. `run` returns the batches it
     * completed.
     */
    /** The batches a run of SECONDS at `rowsPerSecond` wrote. */
    const batchesIn = (rowsPerSecond: number): number => (rowsPerSecond * SECONDS) / BATCH;
    const batchCpu = async (run: () => Promise<number>): Promise<BatchCpu> => {
      const [m0, s0, b0] = [await machineCpuMs(), await processCpuMs(w.child.pid), process.cpuUsage()];
      const batches = Math.max(1, await run());
      const own = process.cpuUsage(b0);
      const machine = ((await machineCpuMs()) - m0) / batches;
      const server = ((await processCpuMs(w.child.pid)) - s0) / batches;
      const bench = (own.user + own.system) / 1000 / batches;
      return { machine, server, bench, database: machine - server - bench };
    };
    // Warroom and the ceiling alternately (A B A B ...), each run after the server's analysis backlog has drained,
    // so drift on the shared machine and the table's growth hit both sides alike.
    await warmUp(batchSpec);
    const batchRuns: LoadRun[] = [];
    const minimalRuns: LoadRun[] = [];
    const ceilings: number[] = [];
    const minimalCeilings: number[] = [];
    const minimalV7Ceilings: number[] = [];
    // The minimal tables live through the phase, growing as the events table does (bench/lib/ceiling.ts).
    const minimalTables: MinimalTable[] = [];
    const cpu: Record<'warroom' | 'ceiling' | 'minimal', BatchCpu[]> = { warroom: [], ceiling: [], minimal: [] };
    let rowCounts: { events: number; minimal: number; minimalV7: number };
    try {
      const minimalTable = await MinimalTable.open(appUrl, 'random');
      minimalTables.push(minimalTable);
      const minimalV7Table = await MinimalTable.open(appUrl, 'v7');
      minimalTables.push(minimalV7Table);
      for (let i = 0; i < BATCH_RUNS; i++) {
        await settle(w);
        cpu.warroom.push(
          await batchCpu(async () => {
            const r = await loadOnce(batchSpec);
            batchRuns.push(r);
            return r.requests;
          }),
        );
        await settle(w);
        minimalRuns.push(await loadOnce(minimalSpec));
        // The ceilings too run after the backlog that run left has drained: until 2026-12-01 the own statement ran
        // beside the analysis it queued, which lowered the ceiling and flattered batch / ceiling.
        await settle(w);
        cpu.ceiling.push(
          await batchCpu(async () => {
            const rows = await pgCeiling(appUrl, batchRows(incident.id, BATCH), 4, SECONDS);
            ceilings.push(rows);
            return batchesIn(rows);
          }),
        );
        // The two minimal tables take turns going first, so neither always runs in the other's checkpoint wake.
        const minimalRun = async (table: MinimalTable, into: number[]): Promise<number> => {
          const rows = await table.ceiling(appUrl, batchRows(incident.id, BATCH), 4, SECONDS);
          into.push(rows);
          return batchesIn(rows);
        };
        if (i % 2 === 0) {
          cpu.minimal.push(await batchCpu(() => minimalRun(minimalTable, minimalCeilings)));
          await minimalRun(minimalV7Table, minimalV7Ceilings);
        } else {
          await minimalRun(minimalV7Table, minimalV7Ceilings);
          cpu.minimal.push(await batchCpu(() => minimalRun(minimalTable, minimalCeilings)));
        }
      }
      rowCounts = {
        events: await tableRows(appUrl, 'events'),
        minimal: await minimalTable.rows(appUrl),
        minimalV7: await minimalV7Table.rows(appUrl),
      };
    } finally {
      for (const table of minimalTables) await table.drop();
    }
    const batch = summarize(batchRuns);
    checkNoFailures('batch ingest', batch);
    const batchMinimal = summarize(minimalRuns);
    checkNoFailures('batch ingest, Prefer: return=minimal', batchMinimal);
    const minimalEps = batchMinimal.rps * BATCH;
    const batchEps = batch.rps * BATCH;
    phaseRss.batch = await rssMiB(w.child.pid);
    await settle(w);
    const ceiling = median(ceilings);
    const values: number[] = [];
    for (let i = 0; i < RUNS; i++)
      values.push(await pgCeiling(appUrl, batchRows(incident.id, BATCH), 4, SECONDS, 'values'));
    const valuesCeiling = median(values);
    record('batch_ingest', `batch ingest, ${BATCH} events/request, 4 clients (events/s)`, fmt(batchEps));
    record(
      'db_ceiling',
      "database ceiling: Warroom's batch statements (its seqs, then COPY) straight through pg, 4 connections (rows/s)",
      fmt(ceiling),
    );
    record(
      'db_ceiling_values',
      `for comparison: the same rows as one multi-row VALUES statement (${BATCH * 7} parameters), 4 connections (rows/s)`,
      fmt(valuesCeiling),
    );
    const batchRatio = batchEps / ceiling;
    record(
      'batch_vs_ceiling',
      `batch ingest / database ceiling (${BATCH_RUNS} runs each, interleaved)`,
      fmt(batchRatio, 2),
      { target: '≥ 0.80', ok: batchRatio >= 0.8 },
    );
    const minimalCeiling = median(minimalCeilings);
    record(
      'db_ceiling_minimal',
      'physical ceiling: a minimal events table (same columns, primary key, one index), one unnest statement per batch, random (v4) ids, 4 connections (rows/s)',
      fmt(minimalCeiling),
    );
    const minimalV7Ceiling = median(minimalV7Ceilings);
    record(
      'db_ceiling_minimal_v7',
      "the same minimal table given time-ordered (v7) ids, as Warroom's events have (rows/s); batch ingest / it",
      `${fmt(minimalV7Ceiling)}; ${fmt(batchEps / minimalV7Ceiling, 2)}`,
    );
    record(
      'batch_table_rows',
      'rows at the end of the batch phase: events (every Warroom write so far and the own-statement ceiling) / minimal table / minimal v7',
      `${fmt(rowCounts.events)} / ${fmt(rowCounts.minimal)} / ${fmt(rowCounts.minimalV7)}`,
    );
    record(
      'batch_vs_minimal',
      `batch ingest / the minimal table's ceiling, random (v4) ids (${BATCH_RUNS} runs each, interleaved)`,
      fmt(batchEps / minimalCeiling, 2),
      { target: '≥ 0.80', ok: batchEps / minimalCeiling >= 0.8 },
    );
    record(
      'batch_ingest_return_minimal',
      `batch ingest with \`Prefer: return=minimal\` (no echo), same load (events/s)`,
      fmt(minimalEps),
    );
    record(
      'batch_minimal_vs_ceiling',
      `batch ingest with return=minimal / database ceiling, and / the minimal table's ceiling (v4 ids)`,
      `${fmt(minimalEps / ceiling, 2)} / ${fmt(minimalEps / minimalCeiling, 2)}`,
      { target: '≥ 0.80 / ≥ 0.80', ok: minimalEps / ceiling >= 0.8 && minimalEps / minimalCeiling >= 0.8 },
    );
    record(
      'batch_pairs',
      'each batch run / the ceiling run right after it (the spread behind the medians)',
      batchRuns.map((r, i) => fmt((r.rps * BATCH) / (ceilings[i] ?? NaN), 2)).join(', '),
    );
    // The parts of one run (the one whose machine total is the median), so they add up to its total.
    const medianRun = (xs: BatchCpu[]): string => {
      const m = [...xs].sort((a, b) => a.machine - b.machine)[Math.floor(xs.length / 2)];
      if (!m) return 'n/a';
      return `${fmt(m.machine, 1)} = ${fmt(m.server, 1)} + ${fmt(m.bench, 1)} + ${fmt(m.database, 1)}`;
    };
    record(
      'batch_cpu',
      `CPU per ${BATCH}-event batch (ms), the run with the median total: whole machine = Warroom's server + this process (load generator or pg client) + the rest (PostgreSQL, and anything else running): Warroom; its own statement; the minimal table (v4)`,
      (['warroom', 'ceiling', 'minimal'] as const).map((k) => medianRun(cpu[k])).join('; '),
    );

    // --- single requests at 32 connections, each beside the baseline doing the same insert
    const singleSpec: LoadSpec = {
      url: `${w.url}/api/ingest/events`,
      method: 'POST',
      body: JSON.stringify(eventBody(incident.id, 1)),
      connections: CONNS,
      seconds: SECONDS,
    };
    const createSpec: LoadSpec = {
      url: `${w.url}/api/incidents/`,
      method: 'POST',
      body: JSON.stringify(incidentBody),
      connections: CONNS,
      seconds: SECONDS,
    };
    let single: LoadSummary;
    let create: LoadSummary;
    if (b) {
      const sr = await paired(
        oursSide(singleSpec),
        {
          spec: { ...singleSpec, url: `${b.url}/events`, body: JSON.stringify(eventBody(baseId, 1)) },
          pid: b.child.pid,
          before: () => settle(w),
        },
        RUNS,
      );
      vsBaseline.push(['single', 'single-event ingest', sr]);
      single = sr.ours;
      const cr = await paired(
        oursSide(createSpec),
        { spec: { ...createSpec, url: `${b.url}/incidents` }, pid: b.child.pid, before: () => settle(w) },
        RUNS,
      );
      vsBaseline.push(['create', 'incident create', cr]);
      create = cr.ours;
    } else {
      await warmUp(singleSpec);
      single = await loadMedian(singleSpec, RUNS);
      await settle(w);
      await warmUp(createSpec);
      await settle(w);
      create = await loadMedian(createSpec, RUNS);
    }
    checkNoFailures('single ingest', single);
    checkNoFailures('create', create);
    record('single_ingest', `POST /api/ingest/events, ${CONNS} connections (req/s)`, fmt(single.rps));
    record('create', `POST /api/incidents/, ${CONNS} connections (req/s)`, fmt(create.rps));
    phaseRss.writes = await rssMiB(w.child.pid);
    await settle(w);

    if (b) {
      const labels: Record<string, string> = {
        single: 'baseline: bare Hono single insert (req/s)',
        create: 'baseline: bare Hono incident insert (req/s)',
        get: 'baseline: bare Hono select (req/s; p50 / p99 ms)',
      };
      for (const [key, , r] of vsBaseline) {
        checkNoFailures(`baseline ${key}`, r.theirs);
        record(
          `baseline_${key}`,
          labels[key] ?? key,
          key === 'get' ? `${fmt(r.theirs.rps)}; ${r.theirs.p50} / ${r.theirs.p99}` : fmt(r.theirs.rps),
        );
      }
      // Issue 18 asks 0.85 of the baseline for create (it has the most of Warroom's own work to shed); the other
      // paths keep the 0.70 set before it.
      const wanted: Record<string, number> = { create: 0.85 };
      for (const [key, label, r] of vsBaseline) {
        const ratio = r.ours.rps / r.theirs.rps;
        const want = wanted[key] ?? 0.7;
        record(`${key}_vs_baseline`, `${label} / baseline (runs interleaved)`, fmt(ratio, 2), {
          target: `≥ ${fmt(want, 2)}`,
          ok: ratio >= want,
        });
      }
      record(
        'cpu_per_request',
        'server CPU per request, Warroom vs baseline (µs; get, single, create)',
        vsBaseline.map(([key, , r]) => `${key} ${fmt(r.oursCpuUs)} vs ${fmt(r.theirsCpuUs)}`).join('; '),
      );
      await b.stop();
    }

    // --- the Python peer (bench/python-peer): the same documented paths on FastAPI + asyncpg, on its own database
    await pythonPeerPhase({
      adminUrl: embedded ? appUrl : PG,
      incidentId: incident.id,
      ours: { create: createSpec, batch: batchSpec },
      oursSide,
      cleanups,
    });

    // --- scale: 100,000 incidents and 10,000,000 events more than the phases above left, spread over a year of
    // weekly partitions (1,000,000 with --quick)
    await settle(w);
    const seedAndCount = async (db: Kysely<Database>): Promise<string> => {
      const seedStarted = performance.now();
      await seedScale(db, {
        incidents: SCALE_INCIDENTS,
        eventsPerIncident: quick ? 10 : 100,
        weeks: SCALE_WEEKS,
        progress: (done) => console.error(`  seeded ${fmt(done)} of ${fmt(SCALE_INCIDENTS)} incidents`),
      });
      console.error(`  seeding took ${fmt((performance.now() - seedStarted) / 1000)} s`);
      const c = await sql<{
        i: string;
        e: string;
      }>`select (select count(*) from incidents) i, (select count(*) from events) e`.execute(db);
      return `${fmt(Number(c.rows[0]?.i))} incidents, ${fmt(Number(c.rows[0]?.e))} events`;
    };
    const scaleDb = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: appUrl, max: 1 }) }),
    });
    const scale = await seedAndCount(scaleDb);
    await scaleDb.destroy();
    console.error(`  database now holds ${scale}`);
    const big = await reads('scale reads');
    for (const k of ['get', 'list', 'events'] as const) {
      const before = empty[k];
      const after = big[k];
      if (!before || !after) continue;
      const growth = after.p99 / Math.max(1, before.p99);
      record(
        `scale_${k}`,
        `${k} p99 with ${scale} vs a nearly empty database (ms)`,
        `${after.p99} vs ${before.p99} (×${fmt(growth, 2)})`,
        {
          target: '≤ ×2',
          ok: growth <= 2,
        },
      );
    }
    phaseRss.scale = await rssMiB(w.child.pid);

    // --- retention: what EVENT_RETENTION_DAYS does every hour, here for the oldest week of the seeded year
    {
      const retentionDb = new Kysely<Database>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: appUrl, max: 1 }) }),
      });
      try {
        const oldest = (await listEventPartitions(retentionDb)).find((p) => !p.isDefault);
        const rowsIn = oldest
          ? Number(
              (await sql<{ n: string }>`select count(*) as n from ${sql.table(oldest.name)}`.execute(retentionDb))
                .rows[0]?.n,
            )
          : 0;
        // Retention of the seeded year less one week: the oldest partition (or two) expires.
        const r = await maintainEventPartitions(retentionDb, { retentionDays: (SCALE_WEEKS - 1) * 7 });
        record(
          'retention_drop',
          `retention: partitions dropped (the oldest held ${fmt(rowsIn)} events); slowest drop (ms)`,
          `${r.dropped.length}; ${fmt(Math.max(0, ...r.dropMs))}`,
          { target: '≥ 1 dropped, each < 1,000 ms', ok: r.dropped.length > 0 && Math.max(...r.dropMs) < 1000 },
        );
      } finally {
        await retentionDb.destroy();
      }
    }

    // --- soak: a mixed load, RSS sampled every 2 s
    const soakIncident = await json<{ id: string }>(await w.api('/api/incidents/', { json: incidentBody }));
    const samples: Array<[number, number]> = [];
    // The main thread's used JS heap (from /metrics) beside RSS: a leak in our objects raises its floor too, while a
    // heap or allocator growing to its working size raises RSS alone.
    const heapSamples: Array<[number, number]> = [];
    const soakStart = Date.now();
    const sampler = setInterval(() => {
      void rssMiB(w.child.pid).then((r) => samples.push([(Date.now() - soakStart) / 1000, r]));
      void heapUsedMiB(w).then((h) => heapSamples.push([(Date.now() - soakStart) / 1000, h]));
    }, 2_000);
    const soak = await loadMedian(
      {
        url: w.url,
        connections: 16,
        seconds: SOAK_SECONDS,
        requests: [
          { method: 'GET', path: `/api/incidents/${soakIncident.id}` },
          { method: 'GET', path: '/api/incidents/?limit=50' },
          {
            method: 'POST',
            path: '/api/ingest/events',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(eventBody(soakIncident.id, 3)),
          },
          { method: 'GET', path: `/api/ingest/events/${soakIncident.id}?limit=100` },
          {
            method: 'POST',
            path: '/api/ingest/events/batch',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(batchBody(soakIncident.id, 50)),
          },
        ],
      },
      1,
    );
    clearInterval(sampler);
    checkNoFailures('soak', soak);
    // A leak raises the floor RSS falls back to after each garbage collection; the GC sawtooth above it is ±10-20 MiB
    // and made the slope of raw samples swing between -4 and +7 MiB/min from run to run. So: the lowest sample of
    // every 30 s window after the first 60 s (warm-up), and the slope through those floors.
    //
    // The floors still jitter by ±10-15 MiB, so over a 5-minute soak the slope's standard error is ~2-5 MiB/min: a
    // bare threshold of 1 MiB/min would pass or fail runs of the same code at random (it did: -7.8, 1.6 and 9.9
    // MiB/min in three runs). A growth trend is therefore a slope above 1 MiB/min that is also significantly above
    // zero (one-sided t-test at 95%). A leak of ~5 MiB/min or more stands out of that noise in 5 minutes; a smaller
    // one needs a longer soak (--soak=SECONDS), which narrows the error.
    const WINDOW_S = SOAK_SECONDS >= 120 ? 30 : 5;
    const floorsOf = (points: Array<[number, number]>): Array<[number, number]> => {
      const out: Array<[number, number]> = [];
      for (let from = SOAK_SECONDS >= 120 ? 60 : 10; from + WINDOW_S <= SOAK_SECONDS + 1; from += WINDOW_S) {
        const inWindow = points
          .filter(([t, v]) => t >= from && t < from + WINDOW_S && Number.isFinite(v))
          .map(([, v]) => v);
        if (inWindow.length) out.push([from + WINDOW_S / 2, Math.min(...inWindow)]);
      }
      return out;
    };
    const floors = floorsOf(samples);
    const trend = linearTrend(floors); // MiB per second
    const growing = trend.slope * 60 > 1 && trend.t > tCritical95(floors.length - 2);
    const last = samples.at(-1)?.[1] ?? NaN;
    record(
      'soak',
      `${SOAK_SECONDS} s mixed soak: RSS first → last sample (MiB); post-GC floors (lowest RSS per ${WINDOW_S} s window, after warm-up); their trend ± standard error`,
      `${fmt(samples[0]?.[1] ?? NaN)} → ${fmt(last)}; floors ${floors.map(([, r]) => fmt(r)).join(', ')}; ${fmtTrend(trend)}`,
      { target: 'no growth trend (not > 1 MiB/min and significantly > 0)', ok: !growing },
    );
    const heapFloors = floorsOf(heapSamples);
    record(
      'soak_heap',
      `the same soak: the main thread's used JS heap, lowest per ${WINDOW_S} s window (MiB), and its trend`,
      `${heapFloors.map(([, h]) => fmt(h)).join(', ')}; ${fmtTrend(linearTrend(heapFloors))}`,
    );
    phaseRss.soak = last;
    record(
      'rss',
      'server RSS after each phase (MiB)',
      Object.entries(phaseRss)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', '),
    );
    const loaded = Math.max(...Object.values(phaseRss).filter(Number.isFinite));
    record('rss_vs_idle', 'largest server RSS right after a load phase / idle RSS', fmt(loaded / idle.serverRss, 2), {
      target: '≤ 2.00',
      ok: loaded / idle.serverRss <= 2,
    });
    // Whether that memory comes back once the load stops: V8 shrinks its heap only some seconds after allocation
    // slows down, so the figure right after a phase is its high-water mark, not what the server keeps.
    await new Promise((r) => setTimeout(r, 20_000));
    const rested = await rssMiB(w.child.pid);
    record(
      'rss_rested',
      'server RSS 20 s after the soak, no load (MiB; / idle RSS)',
      `${fmt(rested)} (${fmt(rested / idle.serverRss, 2)})`,
    );
    const workerHeap = (await metricValue(w, 'warroom_analysis_worker_heap_bytes')) ?? NaN;
    record(
      'worker_share',
      "of the server's RSS now: the analysis thread's V8 heap (MiB, share; its native memory is not counted)",
      `${fmt(workerHeap / 1048576)} (${fmt((100 * workerHeap) / 1048576 / last)}%)`,
    );

    // --- rooms and analysis
    const f = await fanout(w);
    record(
      'rooms_fanout',
      'rooms: one message to 1,000 sockets, p50 / p99 delivery (ms)',
      `${fmt(f.p50, 1)} / ${fmt(f.p99, 1)}`,
    );
    record('rooms_chat', 'rooms: chat messages/s, one instance', fmt(await chatThroughput(w, w)));
    // A second instance on the same database (on the embedded one, through its socket).
    const w2 = await spawnWarroom({ DATABASE_URL: appUrl }, logFile('warroom-b'));
    try {
      record('rooms_chat_two', 'rooms: chat messages/s, sent on A, received on B', fmt(await chatThroughput(w, w2)));
    } finally {
      await w2.stop();
    }
    const a = analysisMedianMs();
    record('analysis', `analysis of a ${fmt(a.events)}-event incident, median (ms)`, fmt(a.median, 1), {
      target: '< 200',
      ok: a.median < 200,
    });
    const stall = await getsDuringAnalysis(w, incident.id);
    record(
      'get_during_analysis',
      `GET /api/incidents/{id}, 8 connections: p99 / slowest (ms), quiet vs while an incident's newest 10,000 events are analysed every second (${stall.analyses} analyses)`,
      `${stall.quiet.p99} / ${stall.quiet.max} vs ${stall.busy.p99} / ${stall.busy.max}`,
    );
  } finally {
    await w.stop();
    for (const c of cleanups) await c().catch(() => undefined);
  }

  record(
    'failures',
    'requests that failed (non-2xx or errors) under any load',
    failures.length ? failures.join('; ') : '0',
    {
      target: '0',
      ok: failures.length === 0,
    },
  );

  const header = `Warroom benchmark: ${embedded ? 'embedded ' : ''}PostgreSQL ${pgVersion}, ${cpus().length} cores, Node ${process.version}, ${RUNS} runs × ${SECONDS} s (medians)`;
  console.log(`\n${header}\n`);
  console.log('| measure | value | target |\n|---|---|---|');
  for (const r of rows)
    console.log(`| ${r.measure} | ${r.value} | ${r.target ? `${r.target} ${r.ok ? '✓' : '✗'}` : ''} |`);
  await mkdir('bench/results', { recursive: true });
  const file = embedded ? 'bench/results/latest-embedded.json' : 'bench/results/latest.json';
  await writeFile(
    file,
    `${JSON.stringify({ when: new Date().toISOString(), mode: embedded ? 'embedded' : 'postgres', cores: cpus().length, node: process.version, postgres: pgVersion, runs: RUNS, seconds: SECONDS, duration_s: Math.round((Date.now() - started) / 1000), results }, null, 2)}\n`,
  );
  console.log(`\nwritten to ${file}`);
}

/**
 * Whether analysis stays off the request path: GET latency without and with an on-demand analysis of a large incident
 * every second (alternating runs). An analysis on the event loop shows as a slowest request near its duration.
 */
async function getsDuringAnalysis(
  w: BenchProcess,
  incidentId: string,
): Promise<{ quiet: LoadSummary; busy: LoadSummary; analyses: number }> {
  const spec: LoadSpec = { url: `${w.url}/api/incidents/${incidentId}`, connections: 8, seconds: SECONDS };
  await warmUp(spec);
  const quiet: LoadRun[] = [];
  const busy: LoadRun[] = [];
  let analyses = 0;
  for (let i = 0; i < RUNS; i++) {
    await settle(w);
    quiet.push(await loadOnce(spec));
    let stop = false;
    const analysing = (async () => {
      while (!stop) {
        const t = Date.now();
        const res = await w.api(`/api/incidents/${incidentId}/analyze`, { method: 'POST' });
        if (!res.ok) failures.push(`analysis during GET load: ${res.status}`);
        await res.arrayBuffer();
        analyses++;
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - t))));
      }
    })();
    busy.push(await loadOnce(spec));
    stop = true;
    await analysing;
  }
  const q = summarize(quiet);
  const b = summarize(busy);
  checkNoFailures('GET during analysis', b);
  return { quiet: q, busy: b, analyses };
}

/** The server's used JS heap (main thread), from its own /metrics; NaN if the scrape fails. */
async function heapUsedMiB(w: BenchProcess): Promise<number> {
  const bytes = await metricValue(w, 'nodejs_heap_size_used_bytes').catch(() => undefined);
  return (bytes ?? NaN) / 2 ** 20;
}

/** A trend as the table prints it: slope ± standard error, per minute. */
const fmtTrend = ({ slope, se }: { slope: number; se: number }): string =>
  `${fmt(slope * 60, 1)} ± ${fmt(se * 60, 1)} MiB/min`;

/** Least-squares slope through the points, with its standard error and t statistic (slope / error). */
function linearTrend(points: Array<[number, number]>): { slope: number; se: number; t: number } {
  const n = points.length;
  if (n < 3) return { slope: 0, se: NaN, t: 0 };
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  if (sxx === 0) return { slope: 0, se: NaN, t: 0 };
  const slope = sxy / sxx;
  const residuals = points.reduce((s, [x, y]) => s + (y - (my + slope * (x - mx))) ** 2, 0);
  const se = Math.sqrt(residuals / (n - 2) / sxx);
  return { slope, se, t: se > 0 ? slope / se : slope > 0 ? Infinity : 0 };
}

/** Student's t for a one-sided 95% test with `df` degrees of freedom (table values; normal beyond 30). */
function tCritical95(df: number): number {
  const table = [
    NaN,
    6.314,
    2.92,
    2.353,
    2.132,
    2.015,
    1.943,
    1.895,
    1.86,
    1.833,
    1.812,
    1.796,
    1.782,
    1.771,
    1.761,
    1.753,
  ];
  if (df < 1) return Infinity;
  if (df < table.length) return table[df] ?? Infinity;
  return df <= 20 ? 1.725 : df <= 30 ? 1.697 : 1.645;
}

await main();
