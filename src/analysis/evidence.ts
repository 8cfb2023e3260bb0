// Turns raw events into template groups (mined template × level) with counts, times, sources and metric readings.
import type { Event, EventLevel } from '../../schema/index.js';
import { mineTemplates } from './templates/batch.js';

export const LEVEL_RANK: Readonly<Record<EventLevel, number>> = {
  debug: 0,
  info: 1,
  warning: 2,
  error: 3,
  critical: 4,
};

export interface MetricReading {
  name: string;
  value: number;
  ts: number;
  index: number;
}

/**
 * Events sharing a mined template and a level. Level is part of the key because masking
 * turns status codes into wildcards: "GET /cart 200" (info) and "GET /cart 502" (error)
 * mine to one template, but they are different evidence.
 */
export interface EventGroup {
  key: string;
  templateId: string;
  template: string;
  level: EventLevel;
  eventType: Event['event_type'];
  count: number;
  /** Epoch ms of the first and last event. */
  first: number;
  last: number;
  /** Event counts per component (metadata `service`/`component`/`app`, else the source). */
  components: Map<string, number>;
  /** Raw messages: the first and the last, which together show what varies. */
  samples: string[];
  /** Metadata of the first event, for target names and signature matching. */
  metadata: Record<string, unknown>;
  /** Indices into `MinedEvents.events`. */
  members: number[];
  readings: MetricReading[];
}

export interface TimedEvent {
  event: Event;
  ts: number;
}

export interface MinedEvents {
  /** Sorted by time, then id, so the result never depends on arrival order. */
  events: TimedEvent[];
  groups: EventGroup[];
}

const COMPONENT_KEYS = ['service', 'component', 'app', 'application'] as const;

/** The service an event speaks for: an explicit metadata name beats the emitting source (often a host or agent). */
export function componentOf(event: Event): string {
  for (const key of COMPONENT_KEYS) {
    const value = event.metadata[key];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return event.source;
}

const METRIC_IN_MESSAGE = /^\s*([A-Za-z_][\w.:/-]*)\s*[=:]\s*(-?\d+(?:\.\d+)?)/;

/** A metric's name and value, from metadata (`metric`/`name` + `value`) or a leading `name=value` in the message. */
export function readMetric(event: Event): { name: string; value: number } | undefined {
  const meta = event.metadata;
  const metaName =
    typeof meta['metric'] === 'string' ? meta['metric'] : typeof meta['name'] === 'string' ? meta['name'] : undefined;
  if (metaName !== undefined && typeof meta['value'] === 'number') return { name: metaName, value: meta['value'] };
  if (event.event_type !== 'metric') return undefined;
  const m = METRIC_IN_MESSAGE.exec(event.message);
  if (m === null) return undefined;
  const name = m[1];
  const value = Number(m[2]);
  return name !== undefined && Number.isFinite(value) ? { name, value } : undefined;
}

function timeOf(event: Event): number {
  const t = Date.parse(event.timestamp);
  return Number.isFinite(t) ? t : 0;
}

export function mineEvents(input: readonly Event[]): MinedEvents {
  const events = input
    .map((event) => ({ event, ts: timeOf(event) }))
    .sort((a, b) => a.ts - b.ts || (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
  // One batch over the incident's events: each event's final template, with ids derived from the text.
  const mined = mineTemplates(events.map((e) => e.event.message));
  const textOf = new Map(mined.templates.map((t) => [t.id, t.template]));
  const byKey = new Map<string, EventGroup>();
  for (let i = 0; i < events.length; i++) {
    const timed = events[i];
    if (timed === undefined) continue;
    const { event, ts } = timed;
    const templateId = mined.ids[i] ?? '';
    const key = `${templateId}|${event.level}`;
    let group = byKey.get(key);
    if (group === undefined) {
      group = {
        key,
        templateId,
        template: textOf.get(templateId) ?? '',
        level: event.level,
        eventType: event.event_type,
        count: 0,
        first: ts,
        last: ts,
        components: new Map(),
        samples: [],
        metadata: event.metadata,
        members: [],
        readings: [],
      };
      byKey.set(key, group);
    }
    group.count++;
    group.last = ts;
    group.members.push(i);
    const component = componentOf(event);
    group.components.set(component, (group.components.get(component) ?? 0) + 1);
    const reading = readMetric(event);
    if (reading !== undefined) group.readings.push({ ...reading, ts, index: i });
  }
  const groups = [...byKey.values()];
  for (const group of groups) {
    const firstIndex = group.members[0];
    const lastIndex = group.members[group.members.length - 1];
    for (const index of group.count > 1 ? [firstIndex, lastIndex] : [firstIndex]) {
      const message = index === undefined ? undefined : events[index]?.event.message;
      if (message !== undefined) group.samples.push(message);
    }
  }
  return { events, groups };
}

/** The most frequent key of a count map (ties: first inserted). */
export function topKey(counts: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let bestCount = -1;
  for (const [key, count] of counts) {
    if (count > bestCount) {
      best = key;
      bestCount = count;
    }
  }
  return best;
}
