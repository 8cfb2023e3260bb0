// Remediation action model, exactly as documented in API.md.
import { z } from 'zod';
import { IncidentRef, STORABLE_TEXT_ERROR, Timestamp, Uuid, storableText } from './common.js';

export const ACTION_STATUSES = ['pending', 'in_progress', 'completed', 'failed', 'skipped'] as const;
export const ActionStatus = z.enum(ACTION_STATUSES);
export type ActionStatus = z.infer<typeof ActionStatus>;

export const Action = z
  .object({
    id: Uuid,
    incident_id: Uuid,
    title: z.string(),
    description: z.string(),
    status: ActionStatus,
    suggested_by: z.string(),
    priority: z.number().int(),
    created_at: Timestamp,
  })
  .meta({ id: 'Action' });
export type Action = z.infer<typeof Action>;

export const UpdateActionStatusInput = IncidentRef.extend({
  action_id: Uuid,
  status: ActionStatus,
  actor: z.string().trim().min(1).max(100).refine(storableText, { error: STORABLE_TEXT_ERROR }).default('system'),
}).strict();
export type UpdateActionStatusInput = z.infer<typeof UpdateActionStatusInput>;
