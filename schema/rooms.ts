// The room protocol: frames clients send, and frames the server pushes to /ws/incidents/{incident_id} and onUpdate.
import { z } from 'zod';
import { Action } from './action.js';
import { Event } from './event.js';
import { Incident } from './incident.js';
import { TimelineEntry } from './timeline.js';
import { IncidentRef, STORABLE_TEXT_ERROR, Timestamp, Uuid, prose, storableText } from './common.js';

export const ChatUser = z
  .string({ error: (iss) => (iss.input === undefined ? 'user is missing' : 'user must be a string') })
  .trim()
  .min(1, { error: 'user must not be empty' })
  .max(100, { error: 'user must be at most 100 characters' })
  .refine(storableText, { error: `user ${STORABLE_TEXT_ERROR}` });

/**
 * What a client sends to talk in the room (the documented `{"user", "message"}`). `user` may be left out once the
 * socket has a name (from `?user=`, its first message, or its key).
 */
export const ChatInput = z.object({
  type: z.literal('message').optional(),
  user: ChatUser.optional(),
  message: z
    .string({ error: (iss) => (iss.input === undefined ? 'message is missing' : 'message must be a string') })
    .overwrite(prose)
    .min(1, { error: 'message must not be empty' })
    .max(4000, { error: 'message must be at most 4000 characters' })
    .refine(storableText, { error: `message ${STORABLE_TEXT_ERROR}` }),
});
export type ChatInput = z.infer<typeof ChatInput>;

export const PingInput = z.object({ type: z.literal('ping') });

export const ClientFrame = z.union([PingInput, ChatInput]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/**
 * Parses a frame from a client: a ping by its `type`, anything else as chat. Checked against the one schema the frame
 * means rather than the union, whose only complaint about a bad chat frame is "Invalid input": this way the error
 * frame names what was wrong (a missing `user`, an empty `message`).
 */
export function parseClientFrame(json: unknown): z.ZodSafeParseResult<ClientFrame> {
  const ping = typeof json === 'object' && json !== null && 'type' in json && json.type === 'ping';
  return ping ? PingInput.safeParse(json) : ChatInput.safeParse(json);
}

export const MessageFrame = z.object({
  type: z.literal('message'),
  id: Uuid,
  incident_id: Uuid,
  user: z.string(),
  message: z.string(),
  timestamp: Timestamp,
});

export const PresenceFrame = z.object({
  type: z.literal('presence'),
  action: z.enum(['join', 'leave']),
  user: z.string(),
  present: z.array(z.string()),
});

export const WelcomeFrame = z.object({
  type: z.literal('welcome'),
  incident: Incident,
  timeline: z.array(TimelineEntry),
  present: z.array(z.string()),
});

export const ServerFrame = z.discriminatedUnion('type', [
  WelcomeFrame,
  MessageFrame,
  PresenceFrame,
  z.object({ type: z.literal('incident.updated'), incident: Incident }),
  z.object({ type: z.literal('event.created'), incident_id: Uuid, events: z.array(Event) }),
  z.object({ type: z.literal('timeline.created'), entry: TimelineEntry }),
  z.object({ type: z.literal('action.created'), action: Action }),
  z.object({ type: z.literal('action.updated'), action: Action }),
  // A new analysis replaced a pending suggestion the analyzer had made: the action is gone (GET .../actions agrees).
  z.object({ type: z.literal('action.deleted'), incident_id: Uuid, action_id: Uuid }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('pong') }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type MessageFrame = z.infer<typeof MessageFrame>;

export const OnUpdateInput = IncidentRef;
