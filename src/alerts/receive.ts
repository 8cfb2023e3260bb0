// A delivery's alerts, each handled on its own (a message's own status sets no alert's): deduplicated by identity,
// held back by silences, gated, grouped into incidents, and followed to resolution. One transaction per delivery:
// a delivery is stored whole or not at all, and a sender's retry (after a 503) is then deduplicated.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AlertResult, AlertSeverity, NormalizedAlert } from '../../schema/index.js';
import { lockGroups, loadAlerts, saveGroup, senderGroupKeys, storedGroupKeys, upsertAlerts } from '../db/alerts.js';
import { insertEventsOfKnownIncidents } from '../db/events.js';
import { FOREIGN_KEY_VIOLATION, sqlState } from '../db/errors.js';
import { activeSilences } from '../db/integrations.js';
import type { AlertGroupRow, AlertRow, Database, IncidentRow } from '../db/types.js';
import { AppError } from '../domain/errors.js';
import { atLeastSeverity, rankSeverity } from '../integrations/index.js';
import { compileSilences, silencedBy, type CompiledSilence } from './silence-matchers.js';
import { AlertWork, type IntegrationInfo } from './work.js';

/**
 * A large delivery is many statements and, between them, matching and grouping in this thread; every YIELD_EVERY
 * alerts and groups the work lets the event loop turn, so one delivery of 1000 alerts never holds other requests
 * (health checks included) behind it (test/integration/alerts-hostile.test.ts, the 1000-group delivery).
 */
const YIELD_EVERY = 20;
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The committed outcome of a unit of alert work: what to answer, and what to publish and count. */
export interface WorkDone {
  results: AlertResult[];
  /** Incidents opened, changed or given events, latest rows. */
  incidents: IncidentRow[];
  created: IncidentRow[];
  timeline: AlertWork['timeline'];
  events: AlertWork['events'];
  seqs: string[];
}

/**
 * Handles the parsed alerts of one delivery for `integration`, in order. Returns one result per alert (outcome and
 * incident) and what changed. Database errors propagate (the caller answers 503 and the sender retries).
 */
export async function receiveAlerts(
  db: Kysely<Database>,
  integration: IntegrationInfo,
  incoming: readonly NormalizedAlert[],
  now = new Date(),
): Promise<WorkDone> {
  // An empty message (Alertmanager sends none, but a script may): nothing to lock, nothing to write.
  if (incoming.length === 0) return { results: [], incidents: [], created: [], timeline: [], events: [], seqs: [] };
  // Before the transaction: compiling silences new to this instance (all of them, after a start) may take a while,
  // which inside it would hold the group locks and count toward idle_in_transaction_session_timeout.
  const silences = await compileSilences(await activeSilences(db));
  return db
    .transaction()
    .execute(async (tx) => {
      const dedupKeys = incoming.map((a) => a.dedup_key);
      // A stored alert may belong to a group this delivery does not name (a resolve that names none, as PagerDuty's
      // payload-less resolve, or its group_by changed): that group is locked too, and its firing alerts loaded, since
      // whether its incident still has a firing alert is judged from them (without them a resolve of one alert took
      // the incident to monitoring while others fired). Its key is read first, so every group is locked before any
      // alert row, in the order every writer follows; locking an alert first could deadlock with a delivery of that
      // group (review, 2026-12-01).
      // And the groups a message saying its sender group resolved may change (endUnreported).
      const senderKeys = await senderGroupKeys(tx, integration.id, resolvedSenderGroups(incoming));
      const groupKeys = [
        ...incoming.map((a) => a.group_key),
        ...(await storedGroupKeys(tx, integration.id, dedupKeys)),
        ...senderKeys,
      ];
      const groups = await lockGroups(tx, integration.id, groupKeys);
      const loaded = await loadAlerts(tx, integration.id, dedupKeys, groupKeys);
      // An alert that moved to another group between that read and the locks (rare): its group too, after the fact.
      const extra = [...new Set(loaded.map((a) => a.group_key).filter((k) => !groups.has(k)))];
      if (extra.length > 0) {
        for (const [k, g] of await lockGroups(tx, integration.id, extra)) groups.set(k, g);
        const have = new Set(loaded.map((a) => a.dedup_key));
        for (const a of await loadAlerts(tx, integration.id, [], extra)) if (!have.has(a.dedup_key)) loaded.push(a);
      }
      const work = new AlertWork(tx, integration, groups, loaded, now);

      const results: AlertResult[] = [];
      const resolvedGroups = new Set<string>();
      for (const [i, alert] of incoming.entries()) {
        results.push(await handle(work, alert, silences, resolvedGroups));
        if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToLoop();
      }
      await endUnreported(work, incoming, results, senderKeys, resolvedGroups);
      noteHiddenFiring(work, incoming, resolvedGroups);
      // Every locked group: a PagerDuty acknowledge or resolve without payload names no group of its own, and the alert it
      // resolves belongs to the group its trigger named.
      await settleGroups(work, [...work.groups.keys()].sort(), resolvedGroups, results);
      return finish(work, results);
    })
    .catch((err: unknown) => {
      // The integration was deleted after the delivery found it: its groups and alerts cannot reference it (the only
      // foreign key these writes can break; incidents are never deleted). The transaction rolled back whole.
      if (sqlState(err) === FOREIGN_KEY_VIOLATION) {
        throw new AppError(
          'NOT_FOUND',
          `integration ${integration.id} not found: it was deleted during this delivery`,
          undefined,
          {
            cause: err,
          },
        );
      }
      throw err;
    });
}

/** The sender groups the delivery's messages say have nothing firing any more (NormalizedAlert.group_resolved). */
function resolvedSenderGroups(incoming: readonly NormalizedAlert[]): string[] {
  const out = new Set<string>();
  for (const a of incoming) if (a.group_resolved && a.sender_group !== undefined) out.add(a.sender_group);
  return [...out];
}

/**
 * Ends the firing alerts of every sender group the delivery says resolved that it does not name. Alertmanager leaves
 * silenced and inhibited alerts out of its messages (its MuteStage runs before the notifier) and never sends their
 * resolve; an alert that resolved while `max_alerts` left it out is never sent either. Kept firing, any of them held
 * its incident open for good and took in the group's next, unrelated alert (review with a real Alertmanager,
 * 2026-12-01). An alert that still fires comes back in the group's messages once it is no longer muted, and is then a
 * new firing. Their groups are weighed again, as for a resolve.
 */
async function endUnreported(
  work: AlertWork,
  incoming: readonly NormalizedAlert[],
  results: readonly AlertResult[],
  senderKeys: readonly string[],
  resolvedGroups: Set<string>,
): Promise<void> {
  // The newest end each resolved sender group's message names, on the sender's clock.
  const latestEnd = new Map<string, number>();
  const news = new Set<string>();
  const lateCopies = new Set<string>();
  for (const [i, a] of incoming.entries()) {
    if (!a.group_resolved || a.sender_group === undefined) continue;
    // A named alert still firing after the delivery: this message was a late copy (a lagging replica's resolve of
    // an occurrence older than the one firing now), which says nothing of the group as it is.
    if (work.alerts.get(a.dedup_key)?.status === 'firing') lateCopies.add(a.sender_group);
    // Only a message with news speaks for the group now: one whose every alert was already resolved is a copy (a
    // retry, the other replica's), and the group may have fired again since the first (review, 2026-12-02).
    if (results[i]?.outcome !== 'duplicate') news.add(a.sender_group);
    const end = a.ends_at === null ? work.now.getTime() : Date.parse(a.ends_at);
    latestEnd.set(a.sender_group, Math.max(latestEnd.get(a.sender_group) ?? end, end));
  }
  const speaking = new Set([...news].filter((g) => !lateCopies.has(g)));
  if (speaking.size === 0) return;
  // Nothing of the group is out of sight any more, in whichever Warroom group group_by put its alerts, resolved
  // ones included: a group split by group_by kept the count its resolved alert's message left (review, 2026-12-02).
  for (const key of senderKeys) {
    const g = work.group(key);
    if (g.hidden_firing === 0) continue;
    g.hidden_firing = 0;
    work.markGroup(g);
    resolvedGroups.add(g.group_key);
  }
  const named = new Set(incoming.map((a) => a.dedup_key));
  for (const row of [...work.alerts.values()]) {
    if (row.status !== 'firing' || named.has(row.dedup_key) || row.sender_group === null) continue;
    if (!speaking.has(row.sender_group)) continue;
    const end = latestEnd.get(row.sender_group);
    // Only what started before the group's last resolve: an alert that fired after it is news the message could not
    // hold (a replica's stale snapshot sent after the group fired again), not one it left out.
    if (end === undefined || (row.starts_at ?? row.fired_at).getTime() > end) continue;
    row.status = 'resolved';
    row.ends_at = work.now;
    work.markAlert(row);
    const g = work.group(row.group_key);
    if (row.state !== 'active' || !row.incident_id) continue;
    work.alertEvent(row, 'resolved');
    if (!work.isFlapping(g) && g.incident_id === row.incident_id) {
      await work.entry(
        row.incident_id,
        'system_event',
        `Alert no longer reported: ${row.title}`,
        'The sender said its group resolved without naming this alert: it was silenced or inhibited there, or ' +
          'resolved while left out of a message. If it still fires it comes back as a new firing',
        { dedup_key: row.dedup_key, status: 'resolved', reason: 'not_reported' },
      );
    }
    resolvedGroups.add(row.group_key);
  }
}

/**
 * Records, per group, how many firing alerts the sender's message left out (Alertmanager's `truncatedAlerts` under
 * `max_alerts`): while it says some, the group is not quiet, so its incident does not go to monitoring (and then
 * resolve) on the strength of the alerts it did show, with the others still firing. A group whose hidden alerts the
 * sender now says are gone is weighed again, even if this message resolved nothing new.
 */
function noteHiddenFiring(work: AlertWork, incoming: readonly NormalizedAlert[], resolvedGroups: Set<string>): void {
  for (const a of incoming) {
    if (a.hidden_firing === undefined) continue;
    const g = work.group(work.alerts.get(a.dedup_key)?.group_key ?? a.group_key);
    if (g.hidden_firing === a.hidden_firing) continue;
    if (a.hidden_firing === 0) resolvedGroups.add(g.group_key);
    // Something of the group fires out of sight: no quiet period runs towards auto-resolve meanwhile.
    else g.monitoring_since = null;
    g.hidden_firing = a.hidden_firing;
    work.markGroup(g);
  }
}

/** Writes what the work collected (alerts, groups, events) and returns its outcome. */
export async function finish(work: AlertWork, results: AlertResult[]): Promise<WorkDone> {
  const dirty = [...work.dirty].map((k) => work.alerts.get(k)).filter((a): a is AlertRow => a !== undefined);
  await upsertAlerts(work.tx, dirty);
  for (const key of work.dirtyGroups) await saveGroup(work.tx, work.group(key));
  const seqs = await insertEventsOfKnownIncidents(work.tx, work.events);
  const incidents = [...work.touched]
    .map((id) => work.incidents.get(id))
    .filter((i): i is IncidentRow => i !== undefined);
  return { results, incidents, created: work.created, timeline: work.timeline, events: work.events, seqs };
}

/**
 * The same occurrence of an alert: Alertmanager and Grafana start a new one with a new `startsAt` (the same
 * fingerprint resolved and fired again in between); PagerDuty's and Datadog's identities (dedup_key, cycle key) are
 * already per occurrence, and their re-notifications carry a fresh timestamp.
 */
function sameOccurrence(work: AlertWork, prev: AlertRow, next: NormalizedAlert): boolean {
  if (!startsNameOccurrences(work)) return true;
  if (prev.starts_at === null || next.starts_at === null) return true;
  return prev.starts_at.getTime() === Date.parse(next.starts_at);
}

/**
 * Whether the sender names occurrences by their start (Alertmanager, Grafana, and a generic alert that gives
 * `starts_at`); PagerDuty's and Datadog's identities are per occurrence already, and their times say nothing of it.
 */
const startsNameOccurrences = (work: AlertWork): boolean =>
  work.integration.kind !== 'pagerduty' && work.integration.kind !== 'datadog';

/**
 * Whether a firing names an older start than the stored occurrence: a late copy (a lagging Alertmanager replica in
 * an HA pair, a retry that arrived after a newer delivery) rather than news.
 */
function startedBefore(work: AlertWork, prev: AlertRow, next: NormalizedAlert): boolean {
  if (!startsNameOccurrences(work) || prev.starts_at === null || next.starts_at === null) return false;
  return Date.parse(next.starts_at) < prev.starts_at.getTime();
}

/**
 * Whether a resolve is about an occurrence that ended before the stored one started: a late copy of an older
 * resolve. Not judged by its start, which can move backwards within one occurrence (Alertmanager keeps the earliest
 * start when it merges copies of an alert, as from an HA pair of Prometheus servers), so a real resolve may name an
 * earlier start than the firing did. A resolve without an end is never a late copy.
 */
function endedBefore(work: AlertWork, prev: AlertRow, next: NormalizedAlert): boolean {
  if (!startsNameOccurrences(work) || prev.starts_at === null || next.ends_at === null) return false;
  return Date.parse(next.ends_at) < prev.starts_at.getTime();
}

function rowFrom(work: AlertWork, a: NormalizedAlert, prev: AlertRow | undefined): AlertRow {
  const keepOld = a.action !== 'trigger' && prev !== undefined && a.raw_severity === null;
  return {
    id: prev?.id ?? randomUUID(),
    integration_id: work.integration.id,
    dedup_key: a.dedup_key,
    // A resolve ends the occurrence where it is: in the group (and incident) it fired in, whatever group the
    // resolving message would compute (a resolve often carries fewer labels than its firing).
    group_key: prev && (keepOld || a.status === 'resolved') ? prev.group_key : a.group_key,
    status: a.status,
    state: prev?.state ?? 'pending',
    // A PagerDuty acknowledge or resolve usually has no payload: it keeps what the trigger said.
    title: keepOld ? prev.title : a.title,
    severity: keepOld ? prev.severity : a.severity,
    raw_severity: keepOld ? prev.raw_severity : a.raw_severity,
    source: keepOld ? prev.source : a.source,
    labels: keepOld ? prev.labels : a.labels,
    annotations: keepOld ? prev.annotations : a.annotations,
    links: keepOld ? prev.links : a.links,
    details: keepOld ? prev.details : a.details,
    starts_at: a.starts_at ? new Date(a.starts_at) : (prev?.starts_at ?? null),
    ends_at: a.ends_at ? new Date(a.ends_at) : null,
    incident_id: prev?.incident_id ?? null,
    fired_at: prev?.fired_at ?? work.now,
    first_seen_at: prev?.first_seen_at ?? work.now,
    last_seen_at: work.now,
    received_count: (prev?.received_count ?? 0) + 1,
    duplicate_count: prev?.duplicate_count ?? 0,
    sender_group: a.sender_group ?? prev?.sender_group ?? null,
  };
}

/**
 * A known alert heard from again: last seen now, one more message; a duplicate also counts as one. Its sender group
 * is what the sender says now (an alert stored before Warroom kept it, or moved by a change of the sender's routes).
 */
function seenAgain(work: AlertWork, prev: AlertRow, duplicate: boolean, a?: NormalizedAlert): void {
  if (a?.sender_group !== undefined) prev.sender_group = a.sender_group;
  prev.last_seen_at = work.now;
  prev.received_count += 1;
  if (duplicate) prev.duplicate_count += 1;
  work.markAlert(prev);
}

async function handle(
  work: AlertWork,
  a: NormalizedAlert,
  silences: readonly CompiledSilence[],
  resolvedGroups: Set<string>,
): Promise<AlertResult> {
  const prev = work.alerts.get(a.dedup_key);
  const result = (outcome: AlertResult['outcome'], row: AlertRow | undefined): AlertResult => ({
    dedup_key: a.dedup_key,
    status: a.status,
    outcome,
    incident_id: row?.incident_id ?? null,
  });

  if (a.action === 'acknowledge') {
    if (!prev) return result('duplicate', undefined);
    // PagerDuty: "Once the alert is resolved, any further events with the same dedup_key will ... be dropped (for
    // acknowledge and resolve events)" (Events API v2, Trigger Events). A late acknowledge of a resolved alert
    // acknowledged the incident its other alerts still held, and counted towards MTTA (review, 2026-12-01).
    if (prev.status === 'resolved') {
      seenAgain(work, prev, true);
      return result('duplicate', prev);
    }
    seenAgain(work, prev, false);
    const g = work.group(prev.group_key);
    const incident = prev.incident_id === g.incident_id ? await work.incidentOf(g) : undefined;
    if (incident && incident.status === 'open') {
      await work.move(incident, 'investigating', `Acknowledged at the source (${a.title})`, false);
      return result('updated', prev);
    }
    return result('duplicate', prev);
  }

  if (a.status === 'firing') {
    if (prev && prev.status === 'firing' && sameOccurrence(work, prev, a)) {
      if (rankSeverity(a.severity) > rankSeverity(prev.severity as AlertSeverity)) {
        const [outcome, row] = await escalate(work, prev, a, silences);
        return result(outcome, row);
      }
      seenAgain(work, prev, true, a);
      return result(prev.state === 'suppressed' || prev.state === 'below' ? 'suppressed' : 'duplicate', prev);
    }
    // A late copy: the firing of an occurrence older than the stored one. The same start after its resolve is taken
    // as firing again, though it may be a lagging replica's copy: Alertmanager sends just that when Prometheus, back
    // from a restart, restores an alert's start after Alertmanager resolved it for silence. An incident kept open
    // by a copy is a nuisance; one resolved while its alert fires is a missed outage.
    if (prev && startedBefore(work, prev, a)) {
      seenAgain(work, prev, true);
      return result('duplicate', prev);
    }
    // A new occurrence: first seen, or firing again after it resolved (or with a new start).
    const row = rowFrom(work, a, prev);
    // A new start in another group ends the old occurrence where it was: its group is weighed again once the
    // delivery is done, so an incident it alone held open moves on rather than staying open with nothing firing
    // (walkthrough, 2026-12-01). Its group is locked: the stored groups of a delivery's alerts always are.
    if (prev && prev.status === 'firing' && prev.group_key !== row.group_key && work.groups.has(prev.group_key)) {
      resolvedGroups.add(prev.group_key);
    }
    row.fired_at = work.now;
    row.incident_id = null;
    row.state = 'pending';
    work.markAlert(row);
    return result(await fire(work, row, silences), row);
  }

  // Resolved. Already resolved, or the resolve of an occurrence that ended before the one firing now began (a late
  // copy): nothing changes.
  if (prev && (prev.status === 'resolved' || endedBefore(work, prev, a))) {
    seenAgain(work, prev, true);
    return result('duplicate', prev);
  }
  const row = rowFrom(work, a, prev);
  row.ends_at ??= work.now;
  work.markAlert(row);
  if (row.state === 'active' && row.incident_id) {
    const g = work.group(row.group_key);
    work.alertEvent(row, 'resolved');
    if (!work.isFlapping(g) && g.incident_id === row.incident_id) {
      await work.entry(row.incident_id, 'system_event', `Alert resolved: ${row.title}`, '', {
        dedup_key: row.dedup_key,
        status: 'resolved',
      });
    }
    resolvedGroups.add(row.group_key);
  }
  return result('resolved', row);
}

/**
 * A firing alert re-sent with a higher severity (the same occurrence, worse: Datadog's Warn then Triggered of one
 * cycle, PagerDuty's trigger re-sent as critical): the stored alert takes what the new message says. On an incident
 * it is recorded as a firing event and raises the incident's severity; held back below `min_severity`, it is
 * weighed again as a new firing; pending, it now counts at its new severity.
 */
async function escalate(
  work: AlertWork,
  prev: AlertRow,
  a: NormalizedAlert,
  silences: readonly CompiledSilence[],
): Promise<[AlertResult['outcome'], AlertRow]> {
  const from = prev.severity;
  // The same occurrence stays in its group (and incident), whatever group the new message would compute.
  const row: AlertRow = {
    ...rowFrom(work, a, prev),
    group_key: prev.group_key,
    state: prev.state,
    incident_id: prev.incident_id,
  };
  work.markAlert(row);
  const g = work.group(row.group_key);
  const incident = row.state === 'active' && row.incident_id === g.incident_id ? await work.incidentOf(g) : undefined;
  // Held below the floor, or on an incident people have since resolved or closed: weighed again as a new firing
  // (reopening within reopen_window, else opening one), as a new occurrence would be.
  if (row.state === 'below' || (row.state === 'active' && work.usable(incident) !== 'active')) {
    row.state = 'pending';
    row.incident_id = null;
    row.fired_at = work.now;
    return [await fire(work, row, silences), row];
  }
  if (row.state !== 'active' || !incident) return [row.state === 'suppressed' ? 'suppressed' : 'pending', row];
  work.alertEvent(row, 'firing');
  await work.entry(incident.id, 'system_event', `Alert escalated: ${row.title}`, `Severity ${from} → ${row.severity}`, {
    dedup_key: row.dedup_key,
    status: 'firing',
    from,
    to: row.severity,
  });
  await work.raiseSeverity(incident, row.severity as AlertSeverity);
  return ['updated', row];
}

/** A new firing occurrence: silenced, joined to its group's incident (reopening it), below the gate, or pending. */
export async function fire(
  work: AlertWork,
  row: AlertRow,
  silences: readonly CompiledSilence[],
): Promise<AlertResult['outcome']> {
  if (silencedBy(silences, row.labels) !== undefined) {
    row.state = 'suppressed';
    return 'suppressed';
  }
  // Below min_severity: recorded, and nothing more. It neither opens an incident nor joins one (where it would hold
  // the incident open until it resolved, or reopen it).
  if (!atLeastSeverity(row.severity as AlertSeverity, work.settings.min_severity)) {
    row.state = 'below';
    return 'suppressed';
  }
  const g = work.group(row.group_key);
  const incident = await work.incidentOf(g);
  const usable = work.usable(incident);
  if (incident && usable === 'active') {
    const quiet = work.firingOn(incident.id).length === 0;
    const current = await work.attach(row, incident, g);
    if (quiet) await refired(work, g, current, row);
    return 'updated';
  }
  if (incident && usable === 'reopen' && work.countsForGate(row)) {
    let current = await work.recordRefire(g, incident);
    current = await work.move(current, 'investigating', `Reopened: alert fired again (${row.title})`);
    g.monitoring_since = null;
    work.markGroup(g);
    await work.attach(row, current, g);
    return 'updated';
  }
  return 'pending';
}

/** The group's alerts came back on an active incident after all had resolved. */
async function refired(work: AlertWork, g: AlertGroupRow, incident: IncidentRow, row: AlertRow): Promise<IncidentRow> {
  let current = incident;
  // Before counting this cycle: the cycle that makes the incident flap still takes it back to investigating, where
  // it then stays while flapping (no more monitoring moves).
  if (current.status === 'monitoring' && current.status_by_alerts && !work.isFlapping(g)) {
    current = await work.move(current, 'investigating', `Alert fired again while monitoring (${row.title})`);
  }
  g.monitoring_since = null;
  work.markGroup(g);
  return work.recordRefire(g, current);
}

/**
 * After every alert of the delivery: opens incidents for groups whose gate has passed (their pending alerts become
 * `created`), attaches pending alerts to an active incident, and moves incidents whose alerts have all resolved to
 * monitoring (not while flapping). `results` are updated in place.
 */
export async function settleGroups(
  work: AlertWork,
  groupKeys: readonly string[],
  resolvedGroups: ReadonlySet<string>,
  results: AlertResult[],
): Promise<void> {
  for (const [i, key] of groupKeys.entries()) {
    if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToLoop();
    const g = work.group(key);
    const incident = await work.incidentOf(g);
    const usable = work.usable(incident);
    const pending = work.firingInGroup(key, ['pending']);
    if (usable === 'none') {
      const counted = pending.filter((a) => work.countsForGate(a));
      if (counted.length >= work.settings.min_alerts) {
        const joining = work.firingInGroup(key, ['pending']);
        const opened = await work.open(g, joining);
        markResults(results, joining, opened.id, 'created');
      }
      continue;
    }
    if (!incident || usable !== 'active') continue;
    let current = incident;
    for (const a of pending) current = await work.attach(a, current, g);
    markResults(results, pending, current.id, 'updated');
    if (resolvedGroups.has(key)) await maybeMonitoring(work, g, current);
  }
}

/** The delivery's results for `alerts` now belong to `incidentId`, with `outcome` (an alert may appear twice). */
function markResults(
  results: AlertResult[],
  alerts: readonly AlertRow[],
  incidentId: string,
  outcome: AlertResult['outcome'],
): void {
  const keys = new Set(alerts.map((a) => a.dedup_key));
  for (const r of results) {
    if (!keys.has(r.dedup_key)) continue;
    r.incident_id = incidentId;
    r.outcome = outcome;
  }
}

/**
 * Every alert of the incident has resolved: monitoring, and the quiet period starts (not while flapping, nor while
 * the sender says it left firing alerts of the group out of its messages).
 */
export async function maybeMonitoring(work: AlertWork, g: AlertGroupRow, incident: IncidentRow): Promise<void> {
  if (work.firingOn(incident.id).length > 0 || work.isFlapping(g)) return;
  if (g.hidden_firing > 0) {
    await work.entry(
      incident.id,
      'system_event',
      'Alerts shown resolved; more still firing',
      `The sender left ${g.hidden_firing} alerts of this group out of its message (Alertmanager's max_alerts); the incident waits for the sender to say the group resolved`,
      { hidden_firing: g.hidden_firing },
    );
    return;
  }
  const after = work.settings.auto_resolve_after;
  const quiet = after > 0 ? `; resolves automatically after ${after} s without a re-fire` : '';
  if (incident.status === 'monitoring') {
    await work.setStatusByAlerts(incident);
    await work.entry(incident.id, 'system_event', 'All alerts resolved', `The incident is monitoring${quiet}`, {});
  } else if (['open', 'investigating', 'identified'].includes(incident.status)) {
    await work.move(incident, 'monitoring', `All alerts resolved${quiet}`);
  } else return;
  g.monitoring_since = work.now;
  work.markGroup(g);
}
