// The hand-written baseline: bare Hono routes doing the same SQL as Warroom's hot paths, with no tRPC, no
// trpc-to-openapi, no Zod and no logging, so that their cost shows up as a ratio. Run as its own process. Its
// statements are named (server-side prepared), as Warroom's hot statements are (src/db/named-statements.ts), so the
// ratio measures the framework and not a difference in how PostgreSQL is asked.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import pg from 'pg';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DB_POOL_SIZE ?? 10) });
const app = new Hono();

const EVENT_INSERT = `insert into "events" ("incident_id", "event_type", "message", "level", "source", "metadata", "timestamp")
  values ($1, $2, $3, $4, $5, $6, $7) returning *`;

app.post('/events', async (c) => {
  const e = (await c.req.json()) as Record<string, unknown>;
  const { rows } = await pool.query({
    name: 'event_insert',
    text: EVENT_INSERT,
    values: [
      e.incident_id,
      e.event_type,
      e.message,
      e.level ?? 'info',
      e.source ?? 'unknown',
      JSON.stringify(e.metadata ?? {}),
      e.timestamp ?? new Date(),
    ],
  });
  return c.json(rows[0], 201);
});

app.post('/incidents', async (c) => {
  const b = (await c.req.json()) as Record<string, unknown>;
  const { rows } = await pool.query({
    name: 'incident_insert',
    text: `with i as (insert into incidents (title, description, severity, source, tags, metadata)
       values ($1, $2, $3, $4, $5, $6) returning *),
     t as (insert into timeline_entries (incident_id, entry_type, title, description, actor)
       select id, 'system_event', 'Incident created', severity || ' incident "' || title || '" reported by ' || source, source from i returning *)
     select i.* from i, t`,
    values: [
      b.title,
      b.description ?? '',
      b.severity ?? 'medium',
      b.source ?? 'manual',
      b.tags ?? [],
      JSON.stringify(b.metadata ?? {}),
    ],
  });
  return c.json(rows[0], 201);
});

app.get('/incidents/:id', async (c) => {
  const { rows } = await pool.query({
    name: 'incident_by_id',
    text: 'select * from incidents where id = $1',
    values: [c.req.param('id')],
  });
  return rows[0] ? c.json(rows[0]) : c.json({ message: 'not found' }, 404);
});

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => {
  console.log(JSON.stringify({ msg: 'baseline listening', url: `http://127.0.0.1:${info.port}` }));
});
process.once('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
