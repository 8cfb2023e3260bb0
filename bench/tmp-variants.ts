// Throwaway: what each part of the events schema costs for batch insert.
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import { migrateToLatest } from '../src/db/migrator.js';
import { INSERT_EVENTS_SQL } from '../src/db/events.js';
import { batchRows } from './lib/workload.js';

const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
await admin.connect();
await admin.query('drop database if exists tmp_variants with (force)');
await admin.query('create database tmp_variants');
await admin.end();
const url = 'postgres://postgres@127.0.0.1:5432/tmp_variants';
const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
await migrateToLatest(db);
await db.destroy();
const c = new pg.Client({ connectionString: url });
await c.connect();
const inc = (await c.query(`insert into incidents (title, severity, source) values ('x','high','b') returning id`)).rows[0].id;
const rows = batchRows(inc, 500);
// variants
await c.query(`create table v_min (id uuid primary key, incident_id uuid not null, event_type text not null, message text not null,
    level text not null, source text not null, metadata jsonb not null, "timestamp" timestamptz not null)`);
await c.query(`create index on v_min (incident_id, "timestamp")`);
await c.query(`create table v_nofk (like events including defaults) partition by range (received_at)`);
await c.query(`alter table v_nofk add primary key (id, received_at)`);
await c.query(`create index on v_nofk (incident_id, "timestamp" desc, seq desc)`);
await c.query(`create table v_nofk_p partition of v_nofk for values from (minvalue) to (maxvalue)`);
await c.query(`create table v_plain (like events including defaults)`);
await c.query(`alter table v_plain add primary key (id)`);
await c.query(`alter table v_plain add foreign key (incident_id) references incidents(id)`);
await c.query(`create index on v_plain (incident_id, "timestamp" desc, seq desc)`);
await c.query(`create table v_plain_nofk (like events including defaults)`);
await c.query(`alter table v_plain_nofk add primary key (id)`);
await c.query(`create index on v_plain_nofk (incident_id, "timestamp" desc, seq desc)`);
await c.query(`create table v_noxact (like v_plain_nofk including all)`);
await c.query(`alter table v_noxact alter column xact drop default`);
await c.query(`create table v_noseq (like v_noxact including all)`);
await c.query(`alter table v_noseq alter column seq drop default, alter column seq drop not null`);
await c.end();

const json = (table: string) => INSERT_EVENTS_SQL.replace('insert into events', `insert into ${table}`);
const unnestMin = `insert into v_min select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[])`;
const variants: Record<string, () => [string, unknown[]]> = {
  minimal_unnest: () => [unnestMin, [rows.map(() => randomUUID()), rows.map((r) => r.incident_id), rows.map((r) => r.event_type), rows.map((r) => r.message), rows.map((r) => r.level), rows.map((r) => r.source), rows.map((r) => JSON.stringify(r.metadata)), rows.map((r) => r.timestamp)]],
  minimal_json: () => [`insert into v_min (id, incident_id, event_type, message, level, source, metadata, "timestamp") select id, incident_id, event_type, message, level, source, metadata, "timestamp" from json_to_recordset($1::json) as r(id uuid, incident_id uuid, event_type text, message text, level text, source text, metadata jsonb, "timestamp" timestamptz)`, [JSON.stringify(rows.map((r) => ({ id: randomUUID(), ...r })))]],
  warroom: () => [INSERT_EVENTS_SQL, [JSON.stringify(rows.map((r) => ({ id: randomUUID(), ...r }))), null]],
  partitioned_nofk: () => [json('v_nofk'), [JSON.stringify(rows.map((r) => ({ id: randomUUID(), ...r }))), null]],
  plain_fk: () => [json('v_plain'), [JSON.stringify(rows.map((r) => ({ id: randomUUID(), ...r }))), null]],
  plain_nofk: () => [json('v_plain_nofk'), [JSON.stringify(rows.map((r) => ({ id: randomUUID(), ...r }))), null]],
  plain_nofk_noxact: () => [json('v_noxact'), [JSON.stringify(rows.map((r) => ({ id: randomUUID(), ...r }))), null]],
  plain_nofk_noxact_noseq: () => [json('v_noseq'), [JSON.stringify(rows.map((r) => ({ id: randomUUID(), ...r }))), null]],
};
const clients = await Promise.all([0, 1, 2, 3].map(async () => { const k = new pg.Client({ connectionString: url }); await k.connect(); return k; }));
const results: Record<string, number[]> = {};
const only = process.argv.slice(2);
for (let round = 0; round < 3; round++) {
  for (const [name, make] of Object.entries(variants)) {
    if (only.length && !only.includes(name)) continue;
    const end = performance.now() + 4000;
    let n = 0;
    await Promise.all(clients.map(async (k) => { while (performance.now() < end) { const [s, p] = make(); await k.query(s, p); n++; } }));
    (results[name] ??= []).push((n * 500) / 4);
  }
}
for (const [k, v] of Object.entries(results)) { v.sort((a, b) => a - b); console.log(k.padEnd(28), Math.round(v[1] ?? 0), v.map(Math.round).join(' ')); }
await Promise.all(clients.map((k) => k.end()));
