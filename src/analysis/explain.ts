// Writes the root cause: the mechanism and the failing component, and which observations are only consequences.
import { earliestMatch, firstAnomaly, isBad, mainComponent, type Findings } from './findings.js';
import type { CategoryScore } from './scoring.js';
import { capitalize, fill, isoSecond, list, plural, quote } from './text.js';

export function rootCause(f: Findings): string {
  if (f.mined.events.length === 0) return withoutEvents(f);
  const { winner } = f;
  const first = winner === undefined ? undefined : earliestMatch(winner);
  if (winner === undefined || first === undefined) return unmatched(f);
  const sample = first.evidence.samples[0] ?? first.group.samples[0] ?? '';
  const { category } = winner;
  const untargeted = f.names.target === category.defaultTarget ? category.untargetedExplanation : undefined;
  const mechanism = fill(untargeted ?? category.explanation, {
    component: f.names.component,
    target: f.names.target,
    first_seen: isoSecond(first.first),
    evidence: quote(sample),
  });
  const after: string[] = [];
  if (category.role === 'cause') {
    const consequences = consequenceCount(f, winner, first.first);
    if (consequences > 0) {
      const kinds =
        f.symptoms.length === 0 ? '' : ` (including ${list(f.symptoms.map((s) => s.category.title.toLowerCase()))})`;
      after.push(
        `the ${plural(consequences, 'later warning or error', 'later warnings and errors')}${kinds} are consequences of it, not the cause`,
      );
    }
  }
  if (f.cited !== undefined)
    after.push(`past incident ${quote(f.cited.incident.title, 80)} (${f.cited.incident.id}) showed the same pattern`);
  return after.length === 0 ? mechanism : `${mechanism} ${capitalize(after.join('; '))}.`;
}

/** Warning-or-worse events in groups that began at or after the cause's first sign and are not evidence of the cause itself. */
function consequenceCount(f: Findings, winner: CategoryScore, causeFirst: number): number {
  const evidence = new Set(winner.matches.map((m) => m.group.key));
  let total = 0;
  for (const g of f.mined.groups) if (isBad(g) && !evidence.has(g.key) && g.first >= causeFirst) total += g.count;
  return total;
}

function withoutEvents(f: Findings): string {
  const cited = citedCause(f);
  if (f.winner === undefined) {
    return `No events have been received yet and the title and description match no known failure category, so the cause is still unknown.${cited}`;
  }
  return `No events have been received yet; from the title and description alone this looks like ${f.winner.category.title.toLowerCase()} affecting ${f.names.component}.${cited}`;
}

function unmatched(f: Findings): string {
  const anomaly = firstAnomaly(f.mined, f.onset);
  const cited = citedCause(f);
  if (anomaly === undefined) {
    return `None of the ${plural(f.mined.events.length, 'event')} is a warning or worse and no known failure signature matched, so there is no evidence of the cause yet.${cited}`;
  }
  return `No known failure signature matched; the earliest anomaly is ${quote(anomaly.samples[0] ?? anomaly.template)} from ${mainComponent(anomaly)} at ${isoSecond(anomaly.first)}, the best lead to the failing component.${cited}`;
}

/** When our own evidence is thin, a similar past incident's root cause is the best hypothesis. */
function citedCause(f: Findings): string {
  const past = f.cited?.incident;
  if (past === undefined || past.root_cause === null) return '';
  return ` Past incident ${quote(past.title, 80)} (${past.id}) looked alike; its root cause was ${quote(past.root_cause, 200)}.`;
}
