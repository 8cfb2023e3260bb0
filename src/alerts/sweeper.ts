// What happens to alert groups with time rather than with a delivery: the quiet period that resolves an incident,
// the end of flapping, and silences ending. Every instance sweeps; groups are taken with SKIP LOCKED, so each is
// handled by one instance and a delivery of the same group simply goes first.
import type { Kysely } from 'kysely';
import { MAX_REOPEN_WINDOW_S, type AlertResult, type AlertSeverity } from '../../schema/index.js';
import { atLeastSeverity } from '../integrations/index.js';
import {
  deleteIdleGroups,
  deleteResolvedAlerts,
  dueForAutoResolve,
  flappingQuietSince,
  loadAlerts,
  suppressedAlerts,
  takeEndedSilences,
  tryLockGroup,
} from '../db/alerts.js';
import { activeSilences, deleteEndedSilences, findIntegration, pruneDeliveries } from '../db/integrations.js';
import type { Database } from '../db/types.js';
import { finish, maybeMonitoring, settleGroups, type WorkDone } from './receive.js';
import { compileSilences, silencedBy, type CompiledSilence } from './silence-matchers.js';
import { AlertWork, FLAP_WINDOW_MS, integrationInfo } from './work.js';

/** Deliveries kept per integration (older ones are pruned once a minute). */
export const DELIVERIES_KEPT = 1000;
/** Refused secrets (401) kept per integration besides them: enough to see a misconfigured sender. */
export const REFUSED_DELIVERIES_KEPT = 100;
/**
 * How long a resolved alert is kept after it was last heard of (ms). Alert rows are per fingerprint and
 * Alertmanager's change with every new pod or label value, so without an end the table grew by every alert ever
 * seen. A week outlasts any sender's late copy; what happened stays on the incidents as events and entries.
 */
export const RESOLVED_ALERT_RETENTION_MS = 7 * 86_400_000;
/** How long an ended silence stays listed (ms): Alertmanager's default `--data.retention`, 120 h. */
export const ENDED_SILENCE_RETENTION_MS = 120 * 3_600_000;
/** Rows one delete statement takes at most, so none holds its locks long. */
export const PRUNE_BATCH = 10_000;
/** Statements of each kind one prune runs at most (a backlog beyond this many rows goes on the next run). */
export const PRUNE_BATCHES = 100;

type GroupTask = (work: AlertWork) => Promise<void>;

/**
 * Runs `task` on one group in its own transaction, if no one else holds the group. Returns what changed, or
 * undefined when the group was busy or gone.
 */
async function withGroup(
  db: Kysely<Database>,
  ref: { integration_id: string; group_key: string },
  now: Date,
  task: GroupTask,
): Promise<WorkDone | undefined> {
  return db.transaction().execute(async (tx) => {
    const g = await tryLockGroup(tx, ref.integration_id, ref.group_key);
    if (!g) return undefined;
    const row = await findIntegration(tx, ref.integration_id);
    if (!row) return undefined;
    const alerts = await loadAlerts(tx, ref.integration_id, [], [ref.group_key]);
    const work = new AlertWork(tx, integrationInfo(row), new Map([[g.group_key, g]]), alerts, now);
    await task(work);
    return finish(work, []);
  });
}

/** Quiet period over: resolve the incident, if the alerts (not a person) still hold it in monitoring. */
const autoResolve: GroupTask = async (work) => {
  const [g] = work.groups.values();
  if (!g || !g.monitoring_since) return;
  const after = work.settings.auto_resolve_after;
  const due = after > 0 && g.monitoring_since.getTime() + after * 1000 <= work.now.getTime();
  if (!due) return;
  g.monitoring_since = null;
  work.markGroup(g);
  const incident = await work.incidentOf(g);
  if (!incident || incident.status !== 'monitoring' || !incident.status_by_alerts) return;
  if (work.firingOn(incident.id).length > 0) return;
  await work.move(incident, 'resolved', `Resolved automatically: no alert fired again for ${after} s`);
};

/** Flapping over: the group stayed quiet for 30 minutes; its incident follows its alerts again. */
const endFlapping: GroupTask = async (work) => {
  const [g] = work.groups.values();
  if (!g || !g.flapping_since) return;
  g.flapping_since = null;
  g.refires = [];
  work.markGroup(g);
  const incident = await work.incidentOf(g);
  if (!incident || work.usable(incident) !== 'active') return;
  await work.entry(incident.id, 'system_event', 'No longer flapping', 'No re-fire for 30 minutes', {});
  await maybeMonitoring(work, g, incident);
};

/** A silence ended: alerts it held back that still fire are weighed against the gate again. */
function release(silences: readonly CompiledSilence[]): GroupTask {
  return async (work) => {
    const [g] = work.groups.values();
    if (!g) return;
    const results: AlertResult[] = [];
    for (const a of work.firingInGroup(g.group_key, ['suppressed'])) {
      if (silencedBy(silences, a.labels) !== undefined) continue;
      a.state = atLeastSeverity(a.severity as AlertSeverity, work.settings.min_severity) ? 'pending' : 'below';
      // The gate's window counts from the release: the alert has been firing all along.
      a.fired_at = work.now;
      work.markAlert(a);
    }
    await settleGroups(work, [g.group_key], new Set(), results);
  };
}

export interface SweepReport {
  done: WorkDone[];
}

/**
 * Groups with a suppressed firing alert that no silence in force matches any more: the ones a release must take.
 * Read without locks; release() weighs each again under its group's lock.
 */
async function groupsToRelease(
  db: Kysely<Database>,
  silences: readonly CompiledSilence[],
): Promise<Array<{ integration_id: string; group_key: string }>> {
  const refs = new Map<string, { integration_id: string; group_key: string }>();
  for (const a of await suppressedAlerts(db)) {
    if (silencedBy(silences, a.labels) !== undefined) continue;
    refs.set(JSON.stringify([a.integration_id, a.group_key]), {
      integration_id: a.integration_id,
      group_key: a.group_key,
    });
  }
  return [...refs.values()];
}

/**
 * How often suppressed alerts are weighed against the silences in force even when no silence ended (ms): a release
 * skips a group another transaction holds at that moment, and its alerts would otherwise stay suppressed until some
 * other silence ended (review, 2026-12-01). Reading them is one index scan of the suppressed alerts.
 */
export const RELEASE_RECHECK_MS = 60_000;

/**
 * One sweep at `now`: auto-resolve, flapping, ended silences, and with `recheckSuppressed` the suppressed alerts no
 * silence holds any more. Returns what changed, for publishing.
 */
export async function sweep(
  db: Kysely<Database>,
  now = new Date(),
  opts: { recheckSuppressed?: boolean } = {},
): Promise<SweepReport> {
  const done: WorkDone[] = [];
  const run = async (refs: Array<{ integration_id: string; group_key: string }>, task: GroupTask) => {
    for (const ref of refs) {
      const out = await withGroup(db, ref, now, task);
      if (out) done.push(out);
    }
  };
  await run(await dueForAutoResolve(db, now), autoResolve);
  await run(await flappingQuietSince(db, new Date(now.getTime() - FLAP_WINDOW_MS)), endFlapping);
  const ended = await takeEndedSilences(db, now);
  if (ended.length > 0 || opts.recheckSuppressed) {
    const silences = await compileSilences(await activeSilences(db));
    await run(await groupsToRelease(db, silences), release(silences));
  }
  return { done };
}

/**
 * Deletes alerts resolved and unheard of for RESOLVED_ALERT_RETENTION_MS, silences ended ENDED_SILENCE_RETENTION_MS
 * ago, and then groups left with nothing (deleteIdleGroups: no alert, no incident a new alert could reopen within
 * the longest reopen_window), PRUNE_BATCH rows a statement, until none is left or PRUNE_BATCHES statements ran.
 * Returns how many of each went.
 */
export async function pruneAlertState(
  db: Kysely<Database>,
  now = new Date(),
): Promise<{ alerts: number; silences: number; groups: number }> {
  const drain = async (one: () => Promise<number>): Promise<number> => {
    let total = 0;
    for (let i = 0; i < PRUNE_BATCHES; i++) {
      const n = await one();
      total += n;
      if (n < PRUNE_BATCH) break;
    }
    return total;
  };
  const alertsBefore = new Date(now.getTime() - RESOLVED_ALERT_RETENTION_MS);
  const silencesBefore = new Date(now.getTime() - ENDED_SILENCE_RETENTION_MS);
  const alerts = await drain(() => deleteResolvedAlerts(db, alertsBefore, PRUNE_BATCH));
  const silences = await drain(() => deleteEndedSilences(db, silencesBefore, PRUNE_BATCH));
  // After the alerts: a group goes once its last alert has.
  const groupsBefore = new Date(now.getTime() - MAX_REOPEN_WINDOW_S * 1000);
  const groups = await drain(() => deleteIdleGroups(db, groupsBefore, PRUNE_BATCH));
  return { alerts, silences, groups };
}

/** Prunes the delivery log to DELIVERIES_KEPT per integration, and REFUSED_DELIVERIES_KEPT refused secrets. */
export const pruneDeliveryLog = (db: Kysely<Database>): Promise<number> =>
  pruneDeliveries(db, DELIVERIES_KEPT, REFUSED_DELIVERIES_KEPT);
