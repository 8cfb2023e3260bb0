// Scores every failure category against the event groups: signature × level × volume × timing relative to the onset.
import type { Incident } from '../../schema/index.js';
import type { FailureCategory, MetricSignature, Signature } from './categories/index.js';
import { componentOf, LEVEL_RANK, type EventGroup, type MinedEvents } from './evidence.js';
import { findTarget, type Evidence } from './naming.js';
import type { Onset } from './onset.js';

/** One event group that matched one category. */
export interface GroupMatch {
  group: EventGroup;
  /** Weight of the strongest signature that matched. */
  weight: number;
  change: boolean;
  /** Events that count as evidence (for metrics: readings beyond the threshold; for changes: the one change). */
  count: number;
  first: number;
  last: number;
  /** Indices (into the sorted events) of the first few evidence events; the first is quoted in the root cause. */
  indices: number[];
  /** The events that count, for naming: a group can mix hosts (metrics) or changes to different services. */
  evidence: Evidence;
  score: number;
}

export interface CategoryScore {
  category: FailureCategory;
  score: number;
  /** Strongest first. */
  matches: GroupMatch[];
}

export interface ScoringContext {
  mined: MinedEvents;
  onset: Onset | undefined;
  incident: Incident;
}

const MINUTE = 60_000;
const LEVEL_WEIGHT = { debug: 0, info: 0.15, warning: 0.6, error: 1, critical: 1.3 } as const;
/** Symptoms are real but produced by something else: they only win when no cause shows up. */
const SYMPTOM_FACTOR = 0.3;
/** How far before the onset an anomaly still counts as related (e-folding time). */
const LOOKBACK = 15 * MINUTE;
/** Changes are logged around the time they take effect; allow this much clock and bucketing slack. */
const CHANGE_SLACK = MINUTE;
/** A bad change usually shows within minutes, so a change's relevance fades faster than other anomalies'. */
const CHANGE_LOOKBACK = 10 * MINUTE;
/** Events kept per match to cite as evidence. */
const EVIDENCE_EVENTS = 5;
/** Worth of the incident's title/description naming a category: about one warning line, so text never outweighs events. */
const TEXT_WEIGHT = 0.3;

export function scoreCategories(categories: readonly FailureCategory[], ctx: ScoringContext): CategoryScore[] {
  const texts = ctx.mined.groups.map(matchText);
  const errors = namesInErrors(ctx);
  const incidentText = [ctx.incident.title, ctx.incident.description, ...ctx.incident.tags].join('\n');
  const scores = categories.map((category) => {
    const matches: GroupMatch[] = [];
    ctx.mined.groups.forEach((group, i) => {
      const match = matchGroup(category, group, texts[i] ?? '', ctx);
      if (match === undefined) return;
      match.score = match.weight * levelWeight(group, match) * (1 + Math.log10(match.count)) * timing(match, ctx.onset);
      if (match.change) match.score *= changeLink(category, match, errors);
      if (match.score > 0) matches.push(match);
    });
    matches.sort((a, b) => b.score - a.score || a.first - b.first);
    // Diminishing returns: ten symptom templates are not ten times the evidence of one.
    let eventScore = matches.reduce((sum, m, i) => sum + m.score * 0.5 ** i, 0);
    if (category.role === 'symptom') eventScore *= SYMPTOM_FACTOR;
    const textScore = category.keywords.test(incidentText)
      ? TEXT_WEIGHT * (category.role === 'symptom' ? SYMPTOM_FACTOR : 1)
      : 0;
    return { category, score: eventScore + textScore, matches };
  });
  return scores.sort((a, b) => b.score - a.score);
}

/** Template, raw samples and short string metadata values: everything a signature may recognise. */
function matchText(group: EventGroup): string {
  const meta = Object.values(group.metadata).filter((v): v is string => typeof v === 'string' && v.length < 200);
  return [group.template, ...group.samples, ...meta].join('\n');
}

function matchGroup(
  category: FailureCategory,
  group: EventGroup,
  text: string,
  ctx: ScoringContext,
): GroupMatch | undefined {
  let best: GroupMatch | undefined;
  // A metric's name is not evidence, its value is; unless the sender itself flagged it as a warning or worse.
  if (group.eventType !== 'metric' || LEVEL_RANK[group.level] >= LEVEL_RANK.warning) {
    let sig: Signature | undefined;
    for (const s of category.signatures)
      if (s.pattern.test(text) && (sig === undefined || s.weight > sig.weight)) sig = s;
    if (sig !== undefined)
      best = sig.kind === 'change' ? changeMatch(group, sig.weight, ctx) : wholeGroup(group, sig.weight);
  }
  for (const sig of category.metrics ?? []) {
    if (best !== undefined && best.weight >= sig.weight) continue;
    best = metricMatch(sig, group, ctx.mined) ?? best;
  }
  return best;
}

function wholeGroup(group: EventGroup, weight: number): GroupMatch {
  return {
    group,
    weight,
    change: false,
    count: group.count,
    first: group.first,
    last: group.last,
    indices: group.members.slice(0, EVIDENCE_EVENTS),
    evidence: { metadata: group.metadata, samples: group.samples, components: group.components },
    score: 0,
  };
}

/**
 * One template can hold changes to different services ("deployment <*> rolled out"), so a change
 * is judged by its single most relevant event: the last one before the onset, else the first.
 */
function changeMatch(group: EventGroup, weight: number, ctx: ScoringContext): GroupMatch {
  const limit = (ctx.onset?.at ?? Infinity) + CHANGE_SLACK;
  let chosen = group.members[0] ?? 0;
  for (const index of group.members) {
    const ts = ctx.mined.events[index]?.ts ?? Infinity;
    if (ts <= limit) chosen = index;
  }
  const timed = ctx.mined.events[chosen];
  const ts = timed?.ts ?? group.first;
  return {
    group,
    weight,
    change: true,
    count: 1,
    first: ts,
    last: ts,
    indices: [chosen],
    evidence:
      timed === undefined
        ? { metadata: group.metadata, samples: group.samples, components: group.components }
        : {
            metadata: timed.event.metadata,
            samples: [timed.event.message],
            components: new Map([[componentOf(timed.event), 1]]),
          },
    score: 0,
  };
}

/** Readings beyond the threshold; the evidence is those readings only (a metric template mixes healthy and sick hosts). */
function metricMatch(sig: MetricSignature, group: EventGroup, mined: MinedEvents): GroupMatch | undefined {
  const beyond = group.readings.filter(
    (r) =>
      ((sig.above !== undefined && r.value > sig.above) || (sig.below !== undefined && r.value < sig.below)) &&
      sig.name.test(r.name),
  );
  const first = beyond[0];
  const last = beyond[beyond.length - 1];
  if (first === undefined || last === undefined) return undefined;
  const components = new Map<string, number>();
  for (const r of beyond) {
    const event = mined.events[r.index]?.event;
    if (event === undefined) continue;
    const name = componentOf(event);
    components.set(name, (components.get(name) ?? 0) + 1);
  }
  const firstEvent = mined.events[first.index]?.event;
  const lastEvent = mined.events[last.index]?.event;
  const samples = [firstEvent?.message, beyond.length > 1 ? lastEvent?.message : undefined].filter(
    (m): m is string => m !== undefined,
  );
  return {
    group,
    weight: sig.weight,
    change: false,
    count: beyond.length,
    first: first.ts,
    last: last.ts,
    indices: beyond.slice(0, EVIDENCE_EVENTS).map((r) => r.index),
    evidence: { metadata: firstEvent?.metadata ?? group.metadata, samples, components },
    score: 0,
  };
}

function levelWeight(group: EventGroup, match: GroupMatch): number {
  const own = LEVEL_WEIGHT[group.level];
  // A change is harmless-looking by nature; a metric beyond its threshold is a warning whatever it was sent as.
  if (match.change) return Math.max(1, own);
  if (group.eventType === 'metric' && group.readings.length > 0) return Math.max(LEVEL_WEIGHT.warning, own);
  return own;
}

/**
 * How well a match's time span fits a cause of this incident: close to the onset (or
 * active across it), and earlier is better. Without events there is no onset and time is neutral.
 */
function timing(match: GroupMatch, onset: Onset | undefined): number {
  if (onset === undefined) return 1;
  const late = match.first - onset.at;
  if (match.change) {
    // A change can only cause what happens after it; one made during the incident is a reaction (e.g. a roll back).
    if (late > CHANGE_SLACK) return 0.1;
    return 1.3 * Math.exp(-Math.max(0, onset.at - match.last) / CHANGE_LOOKBACK);
  }
  const lateScale = Math.max(5 * MINUTE, 0.25 * (onset.lastBad - onset.at));
  const gap = late > 0 ? late : Math.max(0, onset.at - match.last);
  const proximity = Math.exp(-gap / (late > 0 ? lateScale : LOOKBACK));
  const lead = Math.max(-1, Math.min(1, -late / (5 * MINUTE)));
  return proximity * (1 + 0.3 * lead);
}

/** Components that emit errors after the onset, and the words of those errors: who is visibly hurting. */
function namesInErrors(ctx: ScoringContext): { components: Set<string>; text: string } {
  const components = new Set<string>();
  const texts: string[] = [];
  const since = (ctx.onset?.at ?? 0) - CHANGE_SLACK;
  for (const group of ctx.mined.groups) {
    if (LEVEL_RANK[group.level] < LEVEL_RANK.error || group.last < since) continue;
    for (const name of group.components.keys()) components.add(name);
    texts.push(...group.samples);
  }
  return { components, text: texts.join('\n') };
}

/** A change to something that is now failing is strong evidence; a change elsewhere is likely a coincidence. */
function changeLink(
  category: FailureCategory,
  match: GroupMatch,
  errors: { components: Set<string>; text: string },
): number {
  const changed = findTarget(category, [match.evidence]);
  if (changed === undefined) return 1;
  return errors.components.has(changed) || errors.text.includes(changed) ? 1.5 : 0.6;
}
