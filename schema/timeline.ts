// Timeline entry model, as documented in API.md, plus a `metadata` object (the analyzer's evidence lives there).
import { z } from 'zod';
import { Cursor, IncidentRef, Metadata, Timestamp, Uuid, queryInt } from './common.js';

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

/** The most entries one timeline page holds, and what a request without `limit` gets. */
export const TIMELINE_PAGE_MAX = 1000;

export const ListTimelineInput = IncidentRef.extend({
  limit: queryInt(1, TIMELINE_PAGE_MAX, TIMELINE_PAGE_MAX),
  cursor: Cursor.meta({
    description:
      "Continue strictly after the last entry of the previous page: the opaque value from that response's " +
      '`Link: <…>; rel="next"` header (or tRPC `next_cursor`). Following `next` visits every entry once, in the ' +
      'order they were written.',
  }).optional(),
});
export type ListTimelineInput = z.infer<typeof ListTimelineInput>;

/**
 * `incidents.timelinePage` (tRPC only): the same pages, and `newest_first` for a reader that wants the latest entries
 * first (the console); its cursor continues towards older entries.
 */
export const TimelinePageInput = ListTimelineInput.extend({
  newest_first: z.boolean().default(false),
});
export type TimelinePageInput = z.infer<typeof TimelinePageInput>;

/** A page of a timeline for tRPC clients, which cannot read the REST `Link` header. */
export const TimelinePage = z.object({
  items: z.array(TimelineEntry),
  next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
});
export type TimelinePage = z.infer<typeof TimelinePage>;
