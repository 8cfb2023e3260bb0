// Builds the ordered remediation steps: the category's runbook filled with names, plus what worked in a similar past incident.
import type { FailureCategory } from './categories/index.js';
import type { Names } from './naming.js';
import type { RankedIncident } from './similarity.js';
import { fill, quote } from './text.js';
import type { SuggestedAction } from './types.js';

/** Steps that make sense when no category matched: find the origin before fixing anything. */
const TRIAGE: readonly SuggestedAction[] = [
  {
    title: 'Start from the earliest anomalous event of {component} and trace the first failing dependency',
    description: 'The first new error template usually sits closer to the cause than the loudest one.',
    priority: 1,
  },
  {
    title:
      'Check deploys, config and feature flag changes to {component} just before the onset and roll back if one precedes it',
    description: 'Changes are the most common trigger of incidents.',
    priority: 2,
  },
  {
    title: 'Check the saturation of {component}: CPU, memory, disk, connection pools and queues',
    description: 'A saturated resource shows first as latency, then as timeouts and errors.',
    priority: 2,
  },
  {
    title: 'Escalate to the owners of {component} with the dominant error templates and their first-seen times',
    description: 'Share the evidence templates attached to this analysis.',
    priority: 3,
  },
];

export function buildActions(
  category: FailureCategory | undefined,
  names: Names,
  cited: RankedIncident | undefined,
): SuggestedAction[] {
  const vars = { component: names.component, target: names.target };
  const steps: SuggestedAction[] = category
    ? category.runbook.map((s) => ({
        title: fill(s.title, vars),
        description: fill(s.detail, vars),
        priority: s.priority,
      }))
    : TRIAGE.map((s) => ({ ...s, title: fill(s.title, vars) }));
  const reused = cited === undefined ? [] : reusedSteps(cited);
  const key = (title: string) => title.toLowerCase().replace(/\W+/g, ' ').trim();
  // A runbook step that was also completed last time keeps its place and says so.
  const byKey = new Map(steps.map((s) => [key(s.title), s]));
  const fresh: SuggestedAction[] = [];
  for (const r of reused) {
    const same = byKey.get(key(r.title));
    if (same === undefined) fresh.push(r);
    else same.description = `${same.description} ${r.description}`;
  }
  // What a team actually did last time outranks generic advice of the same priority, but not the urgent first steps.
  const ordered = [...fresh, ...steps]
    .map((s, order) => ({ s, order }))
    .sort((a, b) => a.s.priority - b.s.priority || a.order - b.order)
    .map(({ s }) => s);
  const seen = new Set<string>();
  return ordered.filter((s) => {
    if (seen.has(key(s.title))) return false;
    seen.add(key(s.title));
    return true;
  });
}

/** The completed actions of a cited past incident, saying where they come from. */
function reusedSteps({ incident, score }: RankedIncident): SuggestedAction[] {
  return incident.completed_actions.map((done) => ({
    title: done,
    description: `Completed in past incident ${quote(incident.title, 80)} (${incident.id}, similarity ${score.toFixed(2)}).`,
    priority: 2,
  }));
}
