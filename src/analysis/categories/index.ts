// The failure category library the analyzer scores incidents against.
import { cacheOutage, dbConnectionExhaustion, dbLockContention, replicationLag } from './data-stores.js';
import { certificateExpiry, dnsResolution, networkPartition, rateLimiting, upstreamTimeout } from './network.js';
import { badDeploy, credentialFailure, crashLoop, queueBacklog } from './platform.js';
import { cpuSaturation, diskFull, fdExhaustion, memoryExhaustion } from './resources.js';
import { latencyDegradation, serverErrors } from './symptoms.js';
import type { FailureCategory } from './types.js';

export type { CategoryRole, FailureCategory, MetricSignature, RunbookStep, Signature } from './types.js';

/** Every category, causes first; order only breaks exact score ties. */
export const CATEGORIES: readonly FailureCategory[] = [
  dbConnectionExhaustion,
  diskFull,
  memoryExhaustion,
  certificateExpiry,
  dnsResolution,
  rateLimiting,
  badDeploy,
  crashLoop,
  credentialFailure,
  cpuSaturation,
  queueBacklog,
  cacheOutage,
  networkPartition,
  replicationLag,
  dbLockContention,
  fdExhaustion,
  upstreamTimeout,
  serverErrors,
  latencyDegradation,
];

const BY_ID = new Map(CATEGORIES.map((c) => [c.id, c]));

export function categoryById(id: string): FailureCategory | undefined {
  return BY_ID.get(id);
}
