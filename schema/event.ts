// Event model and ingest/list inputs, exactly as documented in API.md.
import { z } from 'zod';
import {
  IncidentRef,
  Metadata,
  MetadataInput,
  STORABLE_TEXT_ERROR,
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
  source: z.string().trim().max(200).refine(storableText, { error: STORABLE_TEXT_ERROR }).default('unknown'),
  metadata: MetadataInput.default({}),
  timestamp: TimestampInput.optional().meta({ description: "The source's own clock; defaults to the time of ingest" }),
}).meta({ id: 'IngestEventInput' });
export type IngestEventInput = z.infer<typeof IngestEventInput>;

export const IngestBatchInput = z
  .array(IngestEventInput)
  .min(1, { error: 'a batch needs at least 1 event' })
  .max(MAX_BATCH, { error: `a batch holds at most ${MAX_BATCH} events` });

export const ListEventsInput = IncidentRef.extend({
  limit: queryInt(1, 1000, 100),
  before: TimestampInput.optional().meta({ description: 'Only events strictly older than this (paging backwards)' }),
  since: TimestampInput.optional().meta({ description: 'Only events at or after this' }),
});
export type ListEventsInput = z.infer<typeof ListEventsInput>;
