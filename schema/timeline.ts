// Timeline entry model, as documented in API.md, plus a `metadata` object (the analyzer's evidence lives there).
import { z } from 'zod';
import { Metadata, Timestamp, Uuid } from './common.js';

export const TIMELINE_ENTRY_TYPES = ['status_change', 'ai_analysis', 'user_action', 'system_event', 'comment'] as const;
export const TimelineEntryType = z.enum(TIMELINE_ENTRY_TYPES);
export type TimelineEntryType = z.infer<typeof TimelineEntryType>;

export const TimelineEntry = z
  .object({
    id: Uuid,
    incident_id: Uuid,
    entry_type: TimelineEntryType,
    title: z.string(),
    description: z.string(),
    actor: z.string(),
    timestamp: Timestamp,
    metadata: Metadata,
  })
  .meta({ id: 'TimelineEntry' });
export type TimelineEntry = z.infer<typeof TimelineEntry>;
