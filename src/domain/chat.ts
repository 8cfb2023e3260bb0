// Chat in an incident room: each message is kept as a `comment` timeline entry.
import type { Kysely } from 'kysely';
import type { MessageFrame } from '../../schema/index.js';
import { insertTimelineEntry } from '../db/timeline.js';
import type { Database } from '../db/types.js';

/** Stores `input` (user and message, both trimmed and checked) as a comment; the `message` frame announcing it. */
export async function postChatMessage(
  db: Kysely<Database>,
  incidentId: string,
  input: { user: string; message: string },
): Promise<MessageFrame> {
  const entry = await insertTimelineEntry(db, {
    incident_id: incidentId,
    entry_type: 'comment',
    title: `Message from ${input.user}`,
    description: input.message,
    actor: input.user,
  });
  return {
    type: 'message',
    id: entry.id,
    incident_id: incidentId,
    user: input.user,
    message: input.message,
    timestamp: entry.timestamp.toISOString(),
  };
}
