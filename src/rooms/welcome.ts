// The first frame a room member receives: the incident, its recent timeline and who is present.
import type { Kysely } from 'kysely';
import type { ServerFrame } from '../../schema/index.js';
import { toTimelineEntry } from '../db/rows.js';
import { recentTimeline } from '../db/timeline.js';
import type { Database } from '../db/types.js';
import { getIncident } from '../domain/incidents.js';
import type { RoomHub } from './hub.js';

export const WELCOME_TIMELINE = 50;

/**
 * The welcome frame for a member joining `incidentId`'s room: the incident, its newest WELCOME_TIMELINE timeline
 * entries (oldest first) and who is present. Throws NOT_FOUND for an unknown incident, and the database's errors.
 */
export async function buildWelcome(db: Kysely<Database>, hub: RoomHub, incidentId: string): Promise<ServerFrame> {
  // One read after the other, not both at once: `pg`'s pool counts a wait for a second connection against its connect
  // timeout, so on a pool of one (DB_POOL_SIZE=1) or a saturated one a slow first read failed the welcome.
  const incident = await getIncident(db, incidentId);
  const timeline = await recentTimeline(db, incidentId, WELCOME_TIMELINE);
  return { type: 'welcome', incident, timeline: timeline.map(toTimelineEntry), present: hub.present(incidentId) };
}
