// A pre-initialised embedded database. PGlite's first start runs initdb, which takes 10-20 s and ~800 MiB of RSS on
// this machine; starting from a data directory saved as a tarball takes a few seconds. `npm ci` (the `prepare`
// script: build-seed.ts) makes that tarball once, with every migration applied; a new DATA_DIR, or DATA_DIR=memory,
// starts from it. The tarball is used only when the migrations it holds are a prefix of today's (the migrator adds
// the rest); otherwise PGlite runs initdb as before.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrations } from '../../migrations/index.js';
import { PACKAGE_ROOT } from '../package-root.js';

export const SEED_TARBALL = join(PACKAGE_ROOT, 'dist', 'pglite-seed.tar.gz');
export const SEED_MANIFEST = join(PACKAGE_ROOT, 'dist', 'pglite-seed.json');

/** What the manifest beside the tarball records. */
export interface SeedManifest {
  /** The migrations applied in the tarball, in order. */
  migrations: string[];
  /** The PGlite version that wrote it (a data directory is read by the same version). */
  pglite: string;
}

/** The installed PGlite's version (its package.json is not exported, so it is read from node_modules). */
export function pgliteVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(join(PACKAGE_ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The tarball as a Blob when it exists and fits today's migrations and PGlite, else undefined. */
export function loadSeed(): Blob | undefined {
  if (!existsSync(SEED_TARBALL) || !existsSync(SEED_MANIFEST)) return undefined;
  try {
    const manifest = JSON.parse(readFileSync(SEED_MANIFEST, 'utf8')) as SeedManifest;
    const current = Object.keys(migrations);
    const prefix = manifest.migrations.every((name, i) => current[i] === name);
    if (!prefix || manifest.pglite !== pgliteVersion()) return undefined;
    return new Blob([readFileSync(SEED_TARBALL)]);
  } catch {
    // An unreadable seed only costs the slow start it was meant to save.
    return undefined;
  }
}

/** Whether `dataDir` already holds a PostgreSQL data directory (then it is opened as it is, never replaced). */
export const holdsDatabase = (dataDir: string): boolean => existsSync(join(dataDir, 'PG_VERSION'));
