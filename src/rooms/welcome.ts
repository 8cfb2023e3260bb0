// The first frame a room member receives: the incident, its recent timeline and who is present.
import type { Kysely } from 'kysely';
import type { ServerFrame } from '../../schema/index.js';
import { toTimelineEntry } from '../db/rows.js';
import { recentTimeline } from '../db/timeline.js';
import type { Database } from '../db/types.js';
import { getIncident } from '../domain/incidents.js';
import type { RoomHub } from './hub.js';

export const WELCOME_TIMELINE = 50;

export async function buildWelcome(db: Kysely<Database>, hub: RoomHub, incidentId: string): Promise<ServerFrame> {
  const [incident, timeline] = await Promise.all([
    getIncident(db, incidentId),
    recentTimeline(db, incidentId, WELCOME_TIMELINE),
  ]);
  return { type: 'welcome', incident, timeline: timeline.map(toTimelineEntry), present: hub.present(incidentId) };
}
