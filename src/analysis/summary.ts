// Writes the 2-5 sentence summary: what is affected since when, event volume by level, dominant templates, likely cause, status.
import type { EventLevel } from '../../schema/index.js';
import { affectedComponents, earliestMatch, isBad, type Findings } from './findings.js';
import { duration, isoSecond, list, plural, quote } from './text.js';

export function summarize(f: Findings): string {
  const sentences = [opening(f)];
  if (f.mined.events.length > 0) sentences.push(volume(f));
  const dominant = dominantTemplates(f);
  if (dominant !== undefined) sentences.push(dominant);
  sentences.push(verdict(f));
  if (f.cited !== undefined) {
    const past = f.cited.incident;
    const cause = past.root_cause === null ? '' : `, whose root cause was ${quote(past.root_cause, 160)}`;
    sentences.push(
      `It resembles past incident ${quote(past.title, 80)} (${past.id}, similarity ${f.cited.score.toFixed(2)})${cause}.`,
    );
  }
  return sentences.join(' ');
}

function statusPhrase(f: Findings): string {
  const since = f.status.since === undefined ? '' : ` since ${isoSecond(f.status.since)}`;
  return `the incident is ${f.status.status}${since}`;
}

function opening(f: Findings): string {
  if (f.mined.events.length === 0)
    return `No events have been received for ${quote(f.incident.title, 80)} yet; ${statusPhrase(f)}.`;
  if (f.onset === undefined) {
    return `None of the events received for ${quote(f.incident.title, 80)} is a warning or worse; ${statusPhrase(f)}.`;
  }
  const { at, lastBad } = f.onset;
  const ended = f.status.status === 'resolved' || f.status.status === 'closed';
  // While it goes on, only what the events show: the analysis clock is the newest event's time, so a duration "so
  // far" measured on it read "0 s so far" for a burst of events sent together, however long the incident had been open.
  const span = ended
    ? `lasting ${duration(lastBad - at)}`
    : lastBad - at < 1000
      ? 'one burst so far'
      : `the latest at ${isoSecond(lastBad)}`;
  const affected = affectedComponents(f.mined, 3);
  if (affected.length === 0) return `Warnings or worse since ${isoSecond(at)} (${span}); ${statusPhrase(f)}.`;
  const verb = affected.length === 1 ? 'is' : 'are';
  return `${list(affected)} ${verb} affected since ${isoSecond(at)} (${span}); ${statusPhrase(f)}.`;
}

function volume(f: Findings): string {
  const byLevel: Record<EventLevel, number> = { debug: 0, info: 0, warning: 0, error: 0, critical: 0 };
  const sources = new Set<string>();
  for (const { event } of f.mined.events) {
    byLevel[event.level]++;
    sources.add(event.source);
  }
  const parts = (['critical', 'error', 'warning', 'info'] as const)
    .filter((level) => byLevel[level] > 0)
    .map((level) => `${byLevel[level].toLocaleString('en-US')} ${level}`);
  return `${plural(f.mined.events.length, 'event')} arrived from ${plural(sources.size, 'source')} (${list(parts)}).`;
}

function dominantTemplates(f: Findings): string | undefined {
  const top = f.mined.groups
    .filter(isBad)
    .sort((a, b) => b.count - a.count || a.first - b.first)
    .slice(0, 2);
  if (top.length === 0) return undefined;
  const described = top.map((g) => `${quote(g.template, 90)} (${g.count.toLocaleString('en-US')}×, ${g.level})`);
  return top.length === 1
    ? `The dominant failing template is ${described[0] ?? ''}.`
    : `The dominant failing templates are ${list(described)}.`;
}

function verdict(f: Findings): string {
  const confidence = `confidence ${f.confidence.toFixed(2)}`;
  const { winner } = f;
  if (winner === undefined) return `No known failure signature matched (${confidence}).`;
  const title = winner.category.title.toLowerCase();
  const first = earliestMatch(winner);
  if (first === undefined)
    return `From the title and description alone this looks like ${title}; no event matched its signatures (${confidence}).`;
  const when = `, first seen at ${isoSecond(first.first)}`;
  const subject = winner.category.failing === 'target' ? f.names.target : f.names.component;
  if (winner.category.role === 'symptom') {
    return `Only symptoms were found, the strongest being ${title} (${subject})${when}, with no cause signature before them (${confidence}).`;
  }
  return `The earliest causal evidence points to ${title} (${subject})${when} (${confidence}).`;
}
