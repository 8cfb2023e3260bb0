// Table types for Kysely: what the columns hold in PostgreSQL (rows are mapped to the wire models in rows.ts).
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** timestamptz: read as Date, written as Date or ISO string. */
type Timestamptz = ColumnType<Date, Date | string | undefined, Date | string>;
type TimestamptzRequired = ColumnType<Date, Date | string, Date | string>;
/** jsonb: read as parsed JSON; written as a JSON string, because `pg` would send a JS array as a PostgreSQL array. */
type Jsonb<T> = ColumnType<T, string | undefined, string>;

export interface IncidentsTable {
  id: Generated<string>;
  title: string;
  description: Generated<string>;
  status: Generated<string>;
  severity: string;
  source: string;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  metadata: Jsonb<Record<string, unknown>>;
  created_at: Timestamptz;
  updated_at: Timestamptz;
  resolved_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  ai_summary: string | null;
  root_cause: string | null;
  suggested_actions: Jsonb<string[]>;
  analysis_category: string | null;
  analysis_templates: Jsonb<string[]>;
  /** What the stored analysis concludes (src/analysis/conclusion.ts); null before the first analysis that set it. */
  analysis_conclusion: ColumnType<string | null, string | null | undefined, string | null>;
  /** Whether the alerts (not a person) set the current status; auto-resolve finishes only what alerts started. */
  status_by_alerts: Generated<boolean>;
  /** Whether a person chose the severity; alerts then never change it. */
  severity_by_person: Generated<boolean>;
}

export interface EventsTable {
  id: Generated<string>;
  incident_id: string;
  event_type: string;
  message: string;
  level: string;
  source: string;
  metadata: Jsonb<Record<string, unknown>>;
  timestamp: TimestamptzRequired;
  seq: ColumnType<string, never, never>;
  /** The writing transaction's id (xid8 as bigint), for tailing in commit-safe order (see the migration). */
  /** The key name that ingested it, when keys are enforced. */
  actor: ColumnType<string | null, never, never>;
  /** The writing transaction's id; NULL for events written before the column existed (read as 0). */
  xact: ColumnType<string | null, never, never>;
  /**
   * When it arrived (the inserting transaction's start): the partition key (migrations/2026-11-30T1000_events_
   * partitioned.ts); for events written before partitioning, the second before it. Internal, never in the API.
   */
  received_at: ColumnType<Date, never, never>;
}

export interface TimelineEntriesTable {
  id: Generated<string>;
  incident_id: string;
  entry_type: string;
  title: string;
  description: Generated<string>;
  actor: string;
  metadata: Jsonb<Record<string, unknown>>;
  timestamp: Timestamptz;
  seq: ColumnType<string, never, never>;
}

export interface ActionsTable {
  id: Generated<string>;
  incident_id: string;
  title: string;
  description: Generated<string>;
  status: Generated<string>;
  suggested_by: string;
  priority: number;
  created_at: Timestamptz;
  updated_at: Timestamptz;
  seq: ColumnType<string, never, never>;
}

export interface RoomFramesTable {
  id: ColumnType<string, never, never>;
  frame: string;
  created_at: Timestamptz;
}

export interface IdempotencyKeysTable {
  principal: string;
  key: string;
  request_hash: string;
  claim: string;
  claimed_at: Timestamptz;
  status: number | null;
  response: string | null;
  created_at: Timestamptz;
}

export interface ApiKeysTable {
  id: Generated<string>;
  name: string;
  prefix: string;
  /** SHA-256 of the whole key, hex. */
  hash: string;
  scopes: ColumnType<string[], string[], string[]>;
  created_at: Timestamptz;
  last_used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface RoomTicketsTable {
  /** SHA-256 of the ticket, hex. */
  hash: string;
  key_id: string;
  expires_at: TimestamptzRequired;
}

type NullableTimestamptz = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface IntegrationsTable {
  id: Generated<string>;
  name: string;
  kind: string;
  settings: Jsonb<Record<string, unknown>>;
  /** In clear: Grafana's HMAC is checked with it. Never returned after creation or rotation. */
  secret: string;
  /** SHA-256 hex of the secret, how a PagerDuty routing_key finds its integration. */
  secret_hash: string;
  created_at: Timestamptz;
  updated_at: Timestamptz;
}

export interface AlertGroupsTable {
  integration_id: string;
  group_key: string;
  incident_id: string | null;
  monitoring_since: NullableTimestamptz;
  refires: ColumnType<Date[], Date[] | string | undefined, Date[] | string>;
  flapping_since: NullableTimestamptz;
  /** Alerts the sender's latest message left out while the group was firing (Alertmanager truncatedAlerts). */
  hidden_firing: ColumnType<number, number | undefined, number>;
}

export interface AlertsTable {
  id: Generated<string>;
  integration_id: string;
  dedup_key: string;
  group_key: string;
  status: string;
  state: string;
  title: string;
  severity: string;
  raw_severity: string | null;
  source: string;
  labels: Jsonb<Record<string, string>>;
  annotations: Jsonb<Record<string, string>>;
  links: Jsonb<Array<{ href: string; text: string }>>;
  details: Jsonb<Record<string, unknown>>;
  starts_at: NullableTimestamptz;
  ends_at: NullableTimestamptz;
  incident_id: string | null;
  fired_at: TimestamptzRequired;
  first_seen_at: TimestamptzRequired;
  last_seen_at: TimestamptzRequired;
  received_count: Generated<number>;
  duplicate_count: Generated<number>;
  /** The sender's own group (NormalizedAlert.sender_group), null when the sender has none or before it said. */
  sender_group: string | null;
}

export interface SilencesTable {
  id: Generated<string>;
  matchers: Jsonb<Array<{ name: string; value: string; is_regex: boolean; is_equal: boolean }>>;
  starts_at: TimestamptzRequired;
  ends_at: TimestamptzRequired;
  comment: string;
  created_by: string;
  created_at: Timestamptz;
  updated_at: Timestamptz;
  released_at: NullableTimestamptz;
}

export interface AlertDeliveriesTable {
  id: Generated<string>;
  integration_id: string;
  received_at: Timestamptz;
  path: string;
  status: number;
  size_bytes: number;
  outcomes: Jsonb<unknown[]>;
  error: string | null;
  payload: string;
  payload_truncated: Generated<boolean>;
  seq: ColumnType<string, never, never>;
}

/**
 * Each tag of each incident, with the incident's created_at: the tag filter of the incident list reads a tag's
 * incidents newest first from its primary key. Written only by triggers on incidents
 * (migrations/2026-12-01T1000_incident_tags.ts), so the code never writes it.
 */
export interface IncidentTagsTable {
  tag: ColumnType<string, never, never>;
  created_at: ColumnType<Date, never, never>;
  incident_id: ColumnType<string, never, never>;
}

export interface Database {
  incidents: IncidentsTable;
  incident_tags: IncidentTagsTable;
  events: EventsTable;
  timeline_entries: TimelineEntriesTable;
  actions: ActionsTable;
  room_frames: RoomFramesTable;
  idempotency_keys: IdempotencyKeysTable;
  api_keys: ApiKeysTable;
  room_tickets: RoomTicketsTable;
  integrations: IntegrationsTable;
  alert_groups: AlertGroupsTable;
  alerts: AlertsTable;
  silences: SilencesTable;
  alert_deliveries: AlertDeliveriesTable;
}

export type IncidentRow = Selectable<IncidentsTable>;
export type EventRow = Selectable<EventsTable>;
export type TimelineRow = Selectable<TimelineEntriesTable>;
export type ActionRow = Selectable<ActionsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type IntegrationRow = Selectable<IntegrationsTable>;
export type AlertRow = Selectable<AlertsTable>;
export type AlertGroupRow = Selectable<AlertGroupsTable>;
export type SilenceRow = Selectable<SilencesTable>;
export type AlertDeliveryRow = Selectable<AlertDeliveriesTable>;
