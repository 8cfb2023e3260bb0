// Every migration, by name. Imported statically because FileMigrationProvider cannot load .ts under vitest.
//
// A migration never changes a column's type in place (add a column, fill it, switch the code over a release, drop
// the old one): instances still running the previous release hold prepared statements typed for the old column
// (src/db/named-statements.ts), and some changes (timestamp to timestamptz) would make them write converted values
// without any error to notice (test/unit/migrations-rule.test.ts holds to this). Adding columns and tables is safe
// outside transactions: a stale statement is run again unnamed; a transaction already under way fails with 503.
import type { Migration } from 'kysely';
import * as initial from './2026-11-26T1000_initial.js';
import * as roomFrames from './2026-11-26T1100_room_frames.js';
import * as analysisTemplates from './2026-11-26T1200_analysis_templates.js';
import * as idempotencyKeys from './2026-11-29T1000_idempotency_keys.js';
import * as eventsXact from './2026-11-29T1400_events_xact.js';
import * as apiKeys from './2026-11-29T1600_api_keys.js';
import * as eventsActor from './2026-11-29T1800_events_actor.js';
import * as alerts from './2026-11-29T2000_alerts.js';
import * as eventsPartitioned from './2026-11-30T1000_events_partitioned.js';
import * as alertGroupsHiddenFiring from './2026-12-01T0400_alert_groups_hidden_firing.js';
import * as indexesForGrowth from './2026-12-01T0700_indexes_for_growth.js';
import * as incidentTags from './2026-12-01T1000_incident_tags.js';
import * as alertsSenderGroup from './2026-12-02T0000_alerts_sender_group.js';
import * as incidentAnalysisConclusion from './2026-12-02T1000_incident_analysis_conclusion.js';
import * as eventsArrivalIndex from './2026-12-02T1400_events_arrival_index.js';

export const migrations: Record<string, Migration> = {
  '2026-11-26T1000_initial': initial,
  '2026-11-26T1100_room_frames': roomFrames,
  '2026-11-26T1200_analysis_templates': analysisTemplates,
  '2026-11-29T1000_idempotency_keys': idempotencyKeys,
  '2026-11-29T1400_events_xact': eventsXact,
  '2026-11-29T1600_api_keys': apiKeys,
  '2026-11-29T1800_events_actor': eventsActor,
  '2026-11-29T2000_alerts': alerts,
  '2026-11-30T1000_events_partitioned': eventsPartitioned,
  '2026-12-01T0400_alert_groups_hidden_firing': alertGroupsHiddenFiring,
  '2026-12-01T0700_indexes_for_growth': indexesForGrowth,
  '2026-12-01T1000_incident_tags': incidentTags,
  '2026-12-02T0000_alerts_sender_group': alertsSenderGroup,
  '2026-12-02T1000_incident_analysis_conclusion': incidentAnalysisConclusion,
  '2026-12-02T1400_events_arrival_index': eventsArrivalIndex,
};
