// Incident model and the inputs of the incident procedures, exactly as documented in API.md.
import { z } from 'zod';
import {
  Cursor,
  IncidentRef,
  Metadata,
  MetadataInput,
  STORABLE_TEXT_ERROR,
  SourceText,
  Timestamp,
  Uuid,
  prose,
  queryInt,
  storableText,
} from './common.js';

import { INCIDENT_STATUSES } from './incident-statuses.js';

export { ACTIVE_INCIDENT_STATUSES, INCIDENT_STATUSES } from './incident-statuses.js';
export const IncidentStatus = z.enum(INCIDENT_STATUSES);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

export const Incident = z
  .object({
    id: Uuid,
    title: z.string(),
    description: z.string(),
    status: IncidentStatus,
    severity: Severity,
    source: z.string(),
    tags: z.array(z.string()),
    metadata: Metadata,
    created_at: Timestamp,
    updated_at: Timestamp,
    resolved_at: Timestamp.nullable(),
    ai_summary: z.string().nullable(),
    root_cause: z.string().nullable(),
    suggested_actions: z.array(z.string()),
    mttr_minutes: z.number().nullable(),
  })
  .meta({ id: 'Incident' });
export type Incident = z.infer<typeof Incident>;

const Text = (max: number) =>
  z
    .string()
    .trim()
    .max(max, { error: `must be at most ${max} characters` })
    .refine(storableText, { error: STORABLE_TEXT_ERROR });

/** An incident's description: prose, leading indentation kept. */
const DescriptionText = z
  .string()
  .overwrite(prose)
  .max(20_000, { error: 'must be at most 20000 characters' })
  .refine(storableText, { error: STORABLE_TEXT_ERROR });

export const CreateIncidentInput = z
  .strictObject({
    title: Text(500).min(1, { error: 'must not be empty' }),
    description: DescriptionText.default(''),
    severity: Severity.default('medium'),
    source: SourceText('manual'),
    // A set: a tag repeated (after trimming) is kept once, at its first place.
    tags: z
      .array(Text(100).min(1, { error: 'must not be empty' }))
      .max(50)
      .transform((tags) => [...new Set(tags)])
      .default([])
      // zod-openapi documents a transform's input and leaves its default out: put it back.
      .meta({
        description: 'Up to 50 as sent; a tag given twice is kept once',
        override: ({ jsonSchema }) => {
          jsonSchema.default = [];
        },
      }),
    metadata: MetadataInput.default({}),
  })
  .meta({ id: 'CreateIncidentInput' });
export type CreateIncidentInput = z.infer<typeof CreateIncidentInput>;

/** A filter on stored text: trimmed as the stored text was, and storable (else it could match nothing anyway). */
// Empty (or only spaces) is refused, as an empty `severity` is: `?source=$SOURCE` with SOURCE unset listed every
// incident, where a script meant one source's (a new-user trial, 2026-12-03).
const FilterText = z
  .string()
  .trim()
  .min(1, { error: 'must not be empty; leave the parameter out for no filter' })
  .refine(storableText, { error: STORABLE_TEXT_ERROR });

export const ListIncidentsInput = z.object({
  status: IncidentStatus.optional(),
  severity: Severity.optional(),
  // Trimmed as create trims what it stores, so `?tag= db ` finds the incidents tagged `db`.
  source: FilterText.optional(),
  tag: FilterText.optional(),
  limit: queryInt(1, 500, 50),
  offset: queryInt(0, 1_000_000, 0),
  cursor: Cursor.meta({
    description:
      "Continue strictly after the last incident of the previous page: the opaque value from that response's " +
      '`Link: <…>; rel="next"` header (or tRPC `next_cursor`). Ties on created_at are broken by id, so following ' +
      '`next` visits every incident exactly once, even while new ones are created. Combines with the filters and ' +
      'limit; not with a non-zero offset (400).',
  }).optional(),
});
export type ListIncidentsInput = z.infer<typeof ListIncidentsInput>;

/** A page of incidents for tRPC clients, which cannot read the REST `Link` header. */
export const IncidentPage = z.object({
  items: z.array(Incident),
  next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
});
export type IncidentPage = z.infer<typeof IncidentPage>;

export const GetIncidentInput = IncidentRef;

// A change's input takes only its own fields, from the query string or a body alike: a misspelt `actr=alice` made
// the change as "system" without a word (review, 2026-12-01).
export const UpdateStatusInput = IncidentRef.extend({
  status: IncidentStatus,
  actor: Text(100).min(1).default('system'),
}).strict();
export type UpdateStatusInput = z.infer<typeof UpdateStatusInput>;

export const UpdateSeverityInput = IncidentRef.extend({
  severity: Severity,
  actor: Text(100).min(1).default('system'),
}).strict();
export type UpdateSeverityInput = z.infer<typeof UpdateSeverityInput>;
