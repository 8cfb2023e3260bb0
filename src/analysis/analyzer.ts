// The built-in incident analyzer: a pure function from an incident and its events to root cause, summary and actions.
//
// Pipeline: mine templates  → find the onset burst → score failure categories
// (signature × level × volume × timing, symptoms discounted) → name the component →
// rank similar past incidents → write root cause, summary and runbook steps.
// No I/O, no clock: `now` comes from the input, so the same input always gives the same result.
import type { Incident, TimelineEntry } from '../../schema/index.js';
import { CATEGORIES, categoryById, type FailureCategory } from './categories/index.js';
import { conclusionOf } from './conclusion.js';
import { type EventGroup, type MinedEvents, mineEvents } from './evidence.js';
import { rootCause } from './explain.js';
import { affectedComponents, firstAnomaly, isBad, strongMatches, type Findings, type StatusInfo } from './findings.js';
import { dominantComponent, findTarget, type Names } from './naming.js';
import { detectOnset } from './onset.js';
import { buildActions } from './remediation.js';
import { scoreCategories, type CategoryScore } from './scoring.js';
import { rankSimilar, SIMILARITY_THRESHOLD, type RankedIncident } from './similarity.js';
import { summarize } from './summary.js';
import type { AnalysisInput, AnalysisResult } from './types.js';

export type { AnalysisInput, AnalysisResult, PastIncident, SuggestedAction } from './types.js';

export const ANALYZER_NAME = 'warroom-analyzer/1';

/**
 * Minimum score for naming a category: roughly one clear error line near the onset. A title
 * keyword alone (0.3) passes only for cause categories, which is what we want with zero events.
 */
const MIN_SCORE = 0.25;
const MAX_EVIDENCE_TEMPLATES = 10;
const EVENT_IDS_PER_TEMPLATE = 5;
const MAX_SIMILAR = 5;

export function analyzeIncident(input: AnalysisInput): AnalysisResult {
  const { incident } = input;
  const mined = mineEvents(input.events);
  const onset = detectOnset(mined.events);
  const scores = scoreCategories(CATEGORIES, { mined, onset, incident });
  const top = scores[0];
  const winner = top !== undefined && top.score >= MIN_SCORE ? top : undefined;
  const ranked = rankSimilar(similarityQuery(incident, mined, winner), input.past_incidents);
  const best = ranked[0];
  const cited = best !== undefined && best.score >= SIMILARITY_THRESHOLD ? best : undefined;
  // With no category of our own, a close past incident's category is the best guess.
  const category = winner?.category ?? categoryOf(cited);
  const names = nameThings(category, winner, mined, incident);
  const lastEvent = mined.events[mined.events.length - 1];
  const findings: Findings = {
    incident,
    mined,
    onset,
    winner,
    symptoms: scores.filter(
      (s) => s !== winner && s.category.role === 'symptom' && s.matches.some((m) => isBad(m.group)),
    ),
    names,
    cited,
    confidence: confidenceOf(scores, winner, mined.events.length > 0, cited),
    status: statusOf(incident, input.status_history),
    now: input.now?.getTime() ?? lastEvent?.ts ?? Date.parse(incident.updated_at),
  };
  const actions = buildActions(category, names, cited);
  return {
    analyzer: ANALYZER_NAME,
    category: category?.id ?? null,
    confidence: findings.confidence,
    root_cause: rootCause(findings),
    // The analyzer's own category, not one borrowed from a cited incident: citations come and go between runs.
    conclusion: conclusionOf({
      hasEvents: mined.events.length > 0,
      category: winner?.category.id ?? null,
      anomaly: firstAnomaly(mined, onset) !== undefined,
    }),
    ai_summary: summarize(findings),
    suggested_actions: actions.map((a) => a.title),
    actions,
    evidence: evidenceOf(mined, winner),
    similar: ranked
      .slice(0, MAX_SIMILAR)
      .map((r) => ({ incident_id: r.incident.id, title: r.incident.title, score: r.score })),
  };
}

function categoryOf(cited: RankedIncident | undefined): FailureCategory | undefined {
  const id = cited?.incident.category;
  return id === undefined || id === null ? undefined : categoryById(id);
}

/** The incident's words plus its failing templates: what a past incident with the same failure would share. */
function similarityQuery(incident: Incident, mined: MinedEvents, winner: CategoryScore | undefined) {
  const failing = mined.groups
    .filter(isBad)
    .sort((a, b) => b.count - a.count)
    .slice(0, 20)
    .map((g) => g.template);
  const matched = winner === undefined ? [] : strongMatches(winner).map((m) => m.group.template);
  return {
    text: [incident.title, incident.description, ...incident.tags].join('\n'),
    templates: [...new Set([...matched, ...failing])],
    category: winner?.category.id ?? null,
  };
}

function metadataName(metadata: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = metadata[key];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}

function nameThings(
  category: FailureCategory | undefined,
  winner: CategoryScore | undefined,
  mined: MinedEvents,
  incident: Incident,
): Names {
  const strong = winner === undefined ? [] : strongMatches(winner);
  const found =
    category === undefined
      ? undefined
      : findTarget(
          category,
          strong.map((m) => m.evidence),
        );
  const component =
    dominantComponent(
      strong.map((m) => ({ evidence: m.evidence, weight: m.score })),
      found,
    ) ??
    metadataName(incident.metadata, ['service', 'component', 'app']) ??
    affectedComponents(mined, 1)[0] ??
    'the affected service';
  if (category === undefined) return { component, target: component };
  const target = found ?? metadataName(incident.metadata, category.targetKeys ?? []) ?? category.defaultTarget;
  return { component, target };
}

/**
 * Confidence grows with the winner's evidence (saturating) and with its lead over the
 * runner-up; symptom-only and title-only verdicts are capped because they cannot name a cause.
 */
function confidenceOf(
  scores: readonly CategoryScore[],
  winner: CategoryScore | undefined,
  hasEvents: boolean,
  cited: RankedIncident | undefined,
): number {
  if (winner === undefined) return round(cited === undefined ? 0.05 : Math.min(0.4, 0.5 * cited.score));
  const runnerUp = scores.find((s) => s !== winner)?.score ?? 0;
  const strength = 1 - Math.exp(-winner.score / 2.5);
  const margin = (winner.score - runnerUp) / winner.score;
  let c = 0.1 + 0.85 * strength * (0.4 + 0.6 * margin);
  if (winner.category.role === 'symptom') c *= 0.7;
  if (!hasEvents) c = Math.min(c, 0.3);
  if (cited !== undefined && cited.incident.category === winner.category.id) c += 0.05;
  return round(Math.max(0.05, Math.min(0.95, c)));
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function statusOf(incident: Incident, history: readonly TimelineEntry[]): StatusInfo {
  let since: number | undefined;
  for (const entry of history) {
    if (entry.entry_type !== 'status_change') continue;
    const t = Date.parse(entry.timestamp);
    if (Number.isFinite(t) && (since === undefined || t > since)) since = t;
  }
  return since === undefined ? { status: incident.status } : { status: incident.status, since };
}

/** The cause's own evidence first (only the events that count), then the loudest failing templates. */
function evidenceOf(mined: MinedEvents, winner: CategoryScore | undefined): AnalysisResult['evidence'] {
  const items = new Map<string, { group: EventGroup; count: number; first: number; last: number; indices: number[] }>();
  for (const m of winner === undefined ? [] : strongMatches(winner)) {
    if (!items.has(m.group.key)) items.set(m.group.key, m);
  }
  const loudest = mined.groups.filter(isBad).sort((a, b) => b.count - a.count || a.first - b.first);
  for (const group of loudest) {
    if (items.size >= MAX_EVIDENCE_TEMPLATES) break;
    if (!items.has(group.key))
      items.set(group.key, { group, count: group.count, first: group.first, last: group.last, indices: group.members });
  }
  const eventIds: string[] = [];
  const templates = [...items.values()].slice(0, MAX_EVIDENCE_TEMPLATES).map((item) => {
    for (const index of item.indices.slice(0, EVENT_IDS_PER_TEMPLATE)) {
      const id = mined.events[index]?.event.id;
      if (id !== undefined) eventIds.push(id);
    }
    return {
      template_id: item.group.templateId,
      template: item.group.template,
      count: item.count,
      first_seen: new Date(item.first).toISOString(),
      last_seen: new Date(item.last).toISOString(),
      level: item.group.level,
    };
  });
  return { event_ids: eventIds, templates };
}
