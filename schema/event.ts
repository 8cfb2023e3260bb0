// Event model and ingest/list inputs, exactly as documented in API.md.
import { z } from 'zod';
import { UNKNOWN_SOURCE } from './defaults.js';
import {
  Cursor,
  IncidentRef,
  Metadata,
  MetadataInput,
  STORABLE_TEXT_ERROR,
  SourceText,
  Timestamp,
  TimestampInput,
  Uuid,
  queryInt,
  storableText,
} from './common.js';

export const EVENT_TYPES = ['log', 'metric', 'alert', 'trace', 'user_action'] as const;
export const EventType = z.enum(EVENT_TYPES);

export const EVENT_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export const EventLevel = z.enum(EVENT_LEVELS);
export type EventLevel = z.infer<typeof EventLevel>;

export const Event = z
  .object({
    id: Uuid,
    incident_id: Uuid,
    event_type: EventType,
    message: z.string(),
    level: EventLevel,
    source: z.string(),
    metadata: Metadata,
    timestamp: Timestamp,
  })
  .meta({ id: 'Event' });
export type Event = z.infer<typeof Event>;

export const MAX_BATCH = 1000;

export const IngestEventInput = IncidentRef.extend({
  event_type: EventType,
  message: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(16_000, { error: 'must be at most 16000 characters' })
    .refine(storableText, { error: STORABLE_TEXT_ERROR }),
  level: EventLevel.default('info'),
  source: SourceText(UNKNOWN_SOURCE),
  metadata: MetadataInput.default({}),
  timestamp: TimestampInput.optional().meta({ description: "The source's own clock; defaults to the time of ingest" }),
}).meta({ id: 'IngestEventInput' });
export type IngestEventInput = z.infer<typeof IngestEventInput>;

export const IngestBatchInput = z
  .array(IngestEventInput)
  .min(1, { error: 'a batch needs at least 1 event' })
  .max(MAX_BATCH, { error: `a batch holds at most ${MAX_BATCH} events` });

/** `after=start`: a tail from the incident's first event. */
export const TAIL_START = 'start';

export const ListEventsInput = IncidentRef.extend({
  limit: queryInt(1, 1000, 100),
  before: TimestampInput.meta({ description: 'Only events strictly older than this (paging backwards)' }).optional(),
  since: TimestampInput.meta({ description: 'Only events at or after this' }).optional(),
  cursor: Cursor.meta({
    description:
      'Continue a newest-first listing strictly after the last event of the previous page: the opaque value from ' +
      'that response\'s `Link: <…>; rel="next"` header (or tRPC `next_cursor`). Ties on timestamp are broken by ' +
      'arrival order, so following `next` visits every event exactly once. Combines with before, since and limit; ' +
      'not with after.',
  }).optional(),
  after: Cursor.meta({
    description:
      'Tail the incident: only events that ARRIVED (were written) after the event this cursor names, whatever their ' +
      'timestamps (late and backdated events included), in the order they were written, oldest first. `start` tails ' +
      'from the incident\'s first event. The response always has a `Link: <…>; rel="next"` header continuing the ' +
      'tail (poll it; an empty page keeps the same position). Events whose write may still be followed by an earlier ' +
      'one committing are held back until it has, so a tail never skips an event. Takes any events cursor; combines ' +
      'with before, since and limit as filters; not with cursor (400).',
  }).optional(),
});
export type ListEventsInput = z.infer<typeof ListEventsInput>;

/**
 * `events.page` (tRPC only) also filters by level and type, so a filtered view pages through the server's cursor
 * instead of filtering what happens to be loaded. Kept off `ListEventsInput`: the REST path's parameters are a fixed
 * contract.
 */
export const EventPageInput = ListEventsInput.extend({
  level: EventLevel.optional().meta({ description: 'Only events of this level' }),
  event_type: EventType.optional().meta({ description: 'Only events of this type' }),
  catch_up: z
    .boolean()
    .default(false)
    .meta({
      description:
        'With `after`: every event after the position that this read can see, without holding back those written ' +
        'after a transaction still running. Only for a client that also receives events live (a room socket, open ' +
        'before this read): what commits later comes to it as a frame, and `tail_cursor` is its next position. A ' +
        'polling tail must not use it: its next cursor could move past an event still being written.',
    }),
});
export type EventPageInput = z.infer<typeof EventPageInput>;

/** A page of events for tRPC clients, which cannot read the REST `Link` header. */
export const EventPage = z.object({
  items: z.array(Event),
  next_cursor: z
    .string()
    .nullable()
    .meta({ description: 'Pass as `cursor` (or, when tailing, as `after`) for the next page; null on the last page' }),
  tail_cursor: z.string().meta({
    description:
      'Pass as `after` to read every event written after this page was read, whatever its timestamp (it may repeat ' +
      'some this page holds): how a client that lost its live feed catches up, backdated events included',
  }),
});
export type EventPage = z.infer<typeof EventPage>;
