// What changed, as one tagged union: rooms broadcast these, the analyzer listens to them. Domain code stays unaware.
import type { Action, Event, Incident, TimelineEntry } from '../../schema/index.js';
import { toRanges } from './ingest.js';

export type Change =
  | { type: 'incident.updated'; incident_id: string; incident: Incident }
  | {
      type: 'event.created';
      incident_id: string;
      events: Event[];
      /** Where the rows are (inclusive `seq` ranges), so other instances can load a large batch instead of receiving it. */
      seq_ranges: Array<[string, string]>;
    }
  | { type: 'timeline.created'; incident_id: string; entry: TimelineEntry }
  | { type: 'action.created'; incident_id: string; action: Action }
  | { type: 'action.updated'; incident_id: string; action: Action }
  | { type: 'action.deleted'; incident_id: string; action_id: string };

/** Receives committed changes. `publish` must never block or throw into the request that made the change. */
export interface ChangeSink {
  publish(change: Change): void;
}

/** Fans one change out to several sinks; a sink that throws is isolated from the others. */
export class ChangeFanout implements ChangeSink {
  private readonly sinks: ChangeSink[] = [];
  constructor(private readonly onSinkError: (err: unknown) => void = () => undefined) {}

  add(sink: ChangeSink): () => void {
    this.sinks.push(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
    };
  }

  publish(change: Change): void {
    for (const sink of this.sinks) {
      try {
        sink.publish(change);
      } catch (err) {
        this.onSinkError(err);
      }
    }
  }
}

/** Publishes an incident update and the timeline entries a change wrote, in that order. */
export function publishChange(
  sink: ChangeSink,
  change: { incident: Incident; timeline: readonly TimelineEntry[] },
): void {
  sink.publish({ type: 'incident.updated', incident_id: change.incident.id, incident: change.incident });
  for (const entry of change.timeline)
    sink.publish({ type: 'timeline.created', incident_id: entry.incident_id, entry });
}

/**
 * Publishes ingested events: one frame per incident (a batch of 1000 is one broadcast, not 1000), and one call of
 * `touched(incidentId)` per incident (the caller schedules its analysis). `seqs[i]` is `events[i]`'s position.
 */
export function publishEvents(
  sink: ChangeSink,
  { events, seqs }: { events: readonly Event[]; seqs: readonly string[] },
  touched: (incidentId: string) => void,
): void {
  const byIncident = new Map<string, { events: Event[]; seqs: string[] }>();
  // A batch is usually one incident's: the previous event's group is tried before the map (each lookup hashes a fresh
  // id string).
  let lastId: string | undefined;
  let lastGroup: { events: Event[]; seqs: string[] } | undefined;
  events.forEach((e, i) => {
    let group = lastId === e.incident_id ? lastGroup : byIncident.get(e.incident_id);
    if (!group) byIncident.set(e.incident_id, (group = { events: [], seqs: [] }));
    lastId = e.incident_id;
    lastGroup = group;
    group.events.push(e);
    group.seqs.push(seqs[i] ?? '0');
  });
  for (const [incident_id, group] of byIncident) {
    sink.publish({ type: 'event.created', incident_id, events: group.events, seq_ranges: toRanges(group.seqs) });
    touched(incident_id);
  }
}
