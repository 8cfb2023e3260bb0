// The tables and statements bench:schema compares (bench/schema.ts), apart so a test can run each statement once
// (test/integration/bench-statements.test.ts): a statement that no longer fits its table fails there, not mid-bench.
import { randomUUID } from 'node:crypto';
import { INSERT_KNOWN_EVENTS_SQL, newEventId } from '../../src/db/events.js';
import { unnestColumns, unnestInsert } from './ceiling.js';
import { batchRows } from './workload.js';

/** The tables compared, each made from Warroom's own `events` (after every migration) less or plus one thing. */
export const SCHEMA_TABLES = [
  // The "physical" ceiling: the same columns, a primary key and one (incident_id, timestamp) index.
  `create table v_minimal (id uuid primary key, incident_id uuid not null, event_type text not null,
     message text not null, level text not null, source text not null, metadata jsonb not null,
     "timestamp" timestamptz not null)`,
  `create index on v_minimal (incident_id, "timestamp")`,
  `create table v_minimal_v7 (like v_minimal including all)`,
  // The same, plus the actor and xact columns Warroom's statement fills: the statement forms compared.
  `create table v_minimal_json (like v_minimal including all)`,
  `alter table v_minimal_json add column actor text`,
  `alter table v_minimal_json add column xact bigint`,
  // Warroom's columns and index, one plain table, with and without the foreign key to incidents.
  `create table v_plain (like events including defaults)`,
  `alter table v_plain add primary key (id)`,
  `create index on v_plain (incident_id, "timestamp" desc, seq desc)`,
  `create table v_plain_fk (like v_plain including all)`,
  `alter table v_plain_fk add foreign key (incident_id) references incidents (id)`,
  // Warroom's partitioned table with the foreign key it had until 2026-11-30 (one partition, as in a week).
  `create table v_partitioned_fk (like events including defaults) partition by range (received_at)`,
  `alter table v_partitioned_fk add primary key (id, received_at)`,
  `alter table v_partitioned_fk add foreign key (incident_id) references incidents (id)`,
  `create index on v_partitioned_fk (incident_id, "timestamp" desc, seq desc)`,
  `create table v_partitioned_fk_all partition of v_partitioned_fk for values from (minvalue) to (maxvalue)`,
  // Warroom's events table as it is, filled with random (v4) ids as it was until 2026-11-30's UUIDv7 change.
  `create table v_events_v4 (like events including defaults) partition by range (received_at)`,
  `alter table v_events_v4 add primary key (id, received_at)`,
  `create index on v_events_v4 (incident_id, "timestamp" desc, seq desc)`,
  `create table v_events_v4_all partition of v_events_v4 for values from (minvalue) to (maxvalue)`,
];

export type Statement = () => [sql: string, params: unknown[]];

/** Each compared statement, by name; `batch` rows a statement. */
export function schemaVariants(incidentId: string, batch: number): Record<string, Statement> {
  const rows = batchRows(incidentId, batch);
  const json = (id: () => string) => JSON.stringify(rows.map((r) => ({ id: id(), ...r })));
  // Warroom's statement for incidents it knows exist (every batch after an incident's first), aimed at another table,
  // with Warroom's ids (time-ordered) unless told otherwise.
  const warroomInto = (table: string, returning = 'id, seq', id: () => string = newEventId): Statement => {
    const sql = INSERT_KNOWN_EVENTS_SQL.replace('insert into events', `insert into ${table}`).replace(
      'returning id, seq',
      `returning ${returning}`,
    );
    return () => [sql, [json(id), null]];
  };
  return {
    'minimal table, one unnest statement': () => [unnestInsert('v_minimal'), unnestColumns(rows, 'random')],
    'minimal table, one unnest statement, time-ordered (v7) ids': () => [
      unnestInsert('v_minimal_v7'),
      unnestColumns(rows, 'v7'),
    ],
    "minimal table (+ actor, xact), Warroom's json_to_recordset statement": warroomInto('v_minimal_json', 'id'),
    "Warroom's columns and index, plain table, no foreign key": warroomInto('v_plain'),
    "Warroom's columns and index, plain table, foreign key": warroomInto('v_plain_fk'),
    "Warroom's table before 2026-11-30's change: partitioned, foreign key": warroomInto('v_partitioned_fk'),
    "Warroom's events table now: partitioned, no foreign key": warroomInto('events'),
    'the same with random (v4) ids, as until 2026-11-30': warroomInto('v_events_v4', 'id, seq', randomUUID),
  };
}
