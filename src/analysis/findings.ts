// What the analyzer concluded, gathered in one record that the root-cause and summary writers read.
import { UNKNOWN_SOURCE } from '../../schema/defaults.js';
import type { Incident } from '../../schema/index.js';
import { LEVEL_RANK, topKey, type EventGroup, type MinedEvents } from './evidence.js';
import type { Names } from './naming.js';
import type { Onset } from './onset.js';
import type { CategoryScore, GroupMatch } from './scoring.js';
import type { RankedIncident } from './similarity.js';

export interface StatusInfo {
  status: Incident['status'];
  /** Epoch ms of the last status change, when the history has one. */
  since?: number;
}

export interface Findings {
  incident: Incident;
  mined: MinedEvents;
  onset: Onset | undefined;
  /** The chosen category, undefined when nothing scored enough. */
  winner: CategoryScore | undefined;
  /** Symptom categories with event evidence, other than the winner. */
  symptoms: CategoryScore[];
  names: Names;
  cited: RankedIncident | undefined;
  confidence: number;
  status: StatusInfo;
  now: number;
}

/** Matches worth quoting: at least a quarter as strong as the best one. */
export function strongMatches(score: CategoryScore): GroupMatch[] {
  const best = score.matches[0]?.score ?? 0;
  return score.matches.filter((m) => m.score >= 0.25 * best);
}

/** The earliest strong match: what the write-up quotes as the first sign of the failure. */
export function earliestMatch(score: CategoryScore): GroupMatch | undefined {
  return strongMatches(score).reduce<GroupMatch | undefined>(
    (a, m) => (a === undefined || m.first < a.first ? m : a),
    undefined,
  );
}

export function isBad(group: EventGroup): boolean {
  return LEVEL_RANK[group.level] >= LEVEL_RANK.warning;
}

/**
 * Components with the most warning-or-worse events, busiest first. Events that named no source carry the
 * placeholder UNKNOWN_SOURCE, which is not a component: "unknown and api-1 are affected" told a reader nothing.
 */
export function affectedComponents(mined: MinedEvents, max: number): string[] {
  const totals = new Map<string, number>();
  for (const group of mined.groups) {
    if (!isBad(group)) continue;
    for (const [name, n] of group.components) {
      if (name !== UNKNOWN_SOURCE) totals.set(name, (totals.get(name) ?? 0) + n);
    }
  }
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([name]) => name);
}

/** Stray warnings that ended this long before the onset are background, not the start of the incident. */
const ANOMALY_LOOKBACK_MS = 5 * 60_000;

/** The first warning-or-worse group still active around the onset, for when no signature matched. */
export function firstAnomaly(mined: MinedEvents, onset: Onset | undefined): EventGroup | undefined {
  const bad = mined.groups.filter((g) => isBad(g) && (onset === undefined || g.last >= onset.at - ANOMALY_LOOKBACK_MS));
  return bad.reduce<EventGroup | undefined>((a, g) => (a === undefined || g.first < a.first ? g : a), undefined);
}

export function mainComponent(group: EventGroup): string {
  return topKey(group.components) ?? 'unknown';
}
