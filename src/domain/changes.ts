// What changed, as one tagged union: rooms broadcast these, the analyzer listens to them. Domain code stays unaware.
import type { Action, Event, Incident, TimelineEntry } from '../../schema/index.js';

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
  | { type: 'action.updated'; incident_id: string; action: Action };

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
