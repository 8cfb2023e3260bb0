// Reads that take their pool's connections one at a time. `pg`'s pool counts a wait for a free connection against
// its connect timeout (5 s), so a procedure that asks for two at once, on a pool the operator sized to one
// (DB_POOL_SIZE=1) or one saturated in an outage, failed with "timeout exceeded when trying to connect" whenever its
// first read was slow. The analysis thread, which always has one connection, has its own test
// (analysis-worker.test.ts).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECT_TIMEOUT_MS, connectPostgres } from '../../src/db/postgres.js';
import { createApiKey, liveKeyIds, revokeKey } from '../../src/domain/keys.js';
import { createMetrics } from '../../src/metrics.js';
import { InProcessBus } from '../../src/rooms/bus.js';
import { RoomHub } from '../../src/rooms/hub.js';
import { buildWelcome } from '../../src/rooms/welcome.js';
import { POSTGRES_URL, migratedScratchWithIncident } from './harness.js';

const SKIP_REASON = 'needs a PostgreSQL server (TEST_DATABASE_URL, or the embedded one the suite starts)';

describe.skipIf(!POSTGRES_URL)(`a pool of one connection${POSTGRES_URL ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  let scratch: { url: string; drop(): Promise<void> };
  let incidentId: string;
  beforeAll(async () => {
    ({ scratch, incidentId } = await migratedScratchWithIncident('welcome on a pool of one'));
  });
  afterAll(() => scratch?.drop());

  it(
    "builds a room's welcome when reading the incident takes longer than the connect timeout",
    { timeout: 30_000 },
    async () => {
      const db = connectPostgres(scratch.url, { poolSize: 1 });
      const hub = new RoomHub(new InProcessBus().join(), createMetrics({ defaultMetrics: false }));
      const locker = new pg.Client({ connectionString: scratch.url });
      await locker.connect();
      try {
        await db.selectFrom('incidents').select('id').limit(1).execute(); // the pool's one connection is open
        await locker.query('begin');
        await locker.query('lock table incidents in access exclusive mode');
        // Settled either way, so a failure while the lock is held is the assertion's, not an unhandled rejection.
        const welcome = buildWelcome(db, hub, incidentId).then(
          (frame) => (frame.type === 'welcome' ? frame.incident.id : frame.type),
          (err: unknown) => err,
        );
        await new Promise((r) => setTimeout(r, CONNECT_TIMEOUT_MS + 1_500));
        await locker.query('commit');
        expect(await welcome).toBe(incidentId);
      } finally {
        await locker.end();
        await hub.close();
        await db.destroy();
      }
    },
  );
});

// The room route's key re-check: one statement for every key holding sockets (keys.ts liveKeyIds), where it used to
// ask the pool for a connection per key, all at once.
describe.skipIf(!POSTGRES_URL)(`liveKeyIds${POSTGRES_URL ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  it('answers, in one query, which keys are still usable: not the revoked, the expired or the unknown', async () => {
    const { scratch } = await migratedScratchWithIncident('key re-check');
    const db = connectPostgres(scratch.url, { poolSize: 1 });
    try {
      const past = new Date(Date.now() - 3_600_000);
      const live = await createApiKey(db, { name: 'live', scopes: ['read'] });
      const revoked = await createApiKey(db, { name: 'revoked', scopes: ['read'] });
      await revokeKey(db, 'revoked');
      // Made an hour ago to last a minute: expired now.
      const expired = await createApiKey(db, { name: 'expired', scopes: ['read'], expires_in: '1m' }, past);
      const unknown = { ...live, id: '00000000-0000-4000-8000-000000000001' };
      const principal = (k: { id: string; name: string; prefix: string }) => ({ ...k, scopes: ['read' as const] });
      const ids = await liveKeyIds(db, [live, revoked, expired, unknown].map(principal));
      expect([...ids]).toEqual([live.id]);
      expect(await liveKeyIds(db, [])).toEqual(new Set());
    } finally {
      await db.destroy();
      await scratch.drop();
    }
  });
});
