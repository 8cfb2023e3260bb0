// What the stored analysis concludes, as a key (src/analysis/conclusion.ts): a re-run writes an ai_analysis timeline
// entry only when it changes. The root cause's text served as that key, but it carries counts ("the 704 later
// warnings and errors…"), times and quoted samples that move with every event, so steady ingest wrote an entry
// every debounce (an outage drill, 2026-12-02: 92 identical analyses in ten minutes, pushing chat and status changes
// out of every room's welcome).
//
// Null for incidents analysed before: their next analysis writes one entry, as a changed conclusion would, and sets
// it. The column has no default, so adding it rewrites nothing.
// Frozen in time: never import from src/.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table incidents add column analysis_conclusion text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table incidents drop column analysis_conclusion`.execute(db);
}
