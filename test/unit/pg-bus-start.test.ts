// Start-up waits for the room bus to LISTEN, but not for good: on a database that refuses it (a hot standby behind a
// stale address after a failover answers "cannot execute LISTEN during recovery"), the server hung in start-up with
// no port open for a supervisor to probe (a review, 2026-12-02). start() gives up after its timeout with the last
// failure as the cause; the server turns that into one line and exit 1.
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/types.js';
import { PgBus } from '../../src/rooms/pg-bus.js';

describe('PgBus.start', () => {
  it('gives up after its timeout with the last failure as the cause, and keeps nothing running once closed', async () => {
    const nowhere = 'postgres://postgres@127.0.0.1:1/warroom';
    // Never used while starting: the bus reads frames through it only once listening.
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: nowhere }) }),
    });
    const bus = new PgBus({ url: nowhere, db, logger: pino({ level: 'silent' }), reconnectMs: 50 });
    const started = performance.now();
    const err: unknown = await bus.start(600).then(
      () => undefined,
      (e: unknown) => e,
    );
    const waited = performance.now() - started;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/no LISTEN within 600 ms/);
    expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
    expect(waited).toBeGreaterThanOrEqual(590);
    expect(waited).toBeLessThan(5_000);
    await bus.close();
    await db.destroy();
  });
});
