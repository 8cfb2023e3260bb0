// Turns a committed change into the frame a room receives.
import type { ServerFrame } from '../../schema/index.js';
import type { Change } from '../domain/changes.js';

export function changeToFrame(change: Change): ServerFrame {
  switch (change.type) {
    case 'incident.updated':
      return { type: change.type, incident: change.incident };
    case 'event.created':
      return { type: change.type, incident_id: change.incident_id, events: change.events };
    case 'timeline.created':
      return { type: change.type, entry: change.entry };
    case 'action.created':
    case 'action.updated':
      return { type: change.type, action: change.action };
    case 'action.deleted':
      return { type: change.type, incident_id: change.incident_id, action_id: change.action_id };
  }
}
