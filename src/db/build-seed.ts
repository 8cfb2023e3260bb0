// Builds the embedded database's starting point (pglite-seed.ts): an in-memory PGlite, every migration applied, saved
// as dist/pglite-seed.tar.gz with its manifest. Run by `npm ci` (the `prepare` script, after the TypeScript build):
// `node dist/src/db/build-seed.js`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import { migrations } from '../../migrations/index.js';
import { migrateToLatest } from './migrator.js';
import { SEED_MANIFEST, SEED_TARBALL, pgliteVersion, type SeedManifest } from './pglite-seed.js';
import type { Database } from './types.js';

/** Writes the tarball and manifest; returns the tarball's size in bytes. */
export async function buildSeed(): Promise<number> {
  const pglite = await PGlite.create();
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  try {
    await migrateToLatest(db);
    const tarball = await pglite.dumpDataDir('gzip');
    const bytes = new Uint8Array(await tarball.arrayBuffer());
    mkdirSync(dirname(SEED_TARBALL), { recursive: true });
    writeFileSync(SEED_TARBALL, bytes);
    const manifest: SeedManifest = { migrations: Object.keys(migrations), pglite: pgliteVersion() };
    writeFileSync(SEED_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
    return bytes.byteLength;
  } finally {
    await db.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const started = Date.now();
  const size = await buildSeed();
  console.log(`wrote ${SEED_TARBALL} (${Math.round(size / 1024)} KiB) in ${Date.now() - started} ms`);
}
