// Names things for the write-up: the component showing the evidence and the resource the failure concerns.
import type { FailureCategory } from './categories/index.js';
import { topKey } from './evidence.js';

/** The part of a matched group that counts as evidence: enough to name who reported it and what it is about. */
export interface Evidence {
  metadata: Record<string, unknown>;
  samples: readonly string[];
  components: ReadonlyMap<string, number>;
}

/** The two names the write-up uses; see `FailureCategory.failing` for which one is "the failing component". */
export interface Names {
  /** The service showing the evidence (metadata `service`, else the event source). */
  component: string;
  /** The resource the failure concerns (a database, a hostname, a queue…), or the category's default phrase. */
  target: string;
}

/** Words a capture can land on that name nothing (e.g. "connect to the database"). */
const NOT_A_NAME = new Set([
  'the',
  'a',
  'an',
  'to',
  'from',
  'of',
  'for',
  'on',
  'in',
  'host',
  'server',
  'localhost',
  'unknown',
]);

/** The resource a category's evidence concerns: a metadata value under one of its keys, else a capture from a message. */
export function findTarget(category: FailureCategory, evidence: readonly Evidence[]): string | undefined {
  for (const e of evidence) {
    for (const key of category.targetKeys ?? []) {
      const value = e.metadata[key];
      if (typeof value === 'string' && isName(value)) return value;
    }
    for (const pattern of category.targets ?? []) {
      for (const sample of e.samples) {
        const captured = pattern.exec(sample)?.[1];
        if (captured !== undefined && isName(captured)) return captured.replace(/[.:]+$/, '');
      }
    }
  }
  return undefined;
}

function isName(value: string): boolean {
  const v = value.trim();
  return v.length >= 2 && v.length <= 120 && !NOT_A_NAME.has(v.toLowerCase());
}

/**
 * The component with the most weight across evidence, each piece counted by its own weight.
 * `except` is skipped when anything else has evidence: when a database itself logs "too many
 * clients", the component worth naming is its client whose pool ran dry, not the database again.
 */
export function dominantComponent(
  evidence: ReadonlyArray<{ evidence: Evidence; weight: number }>,
  except?: string,
): string | undefined {
  const totals = new Map<string, number>();
  for (const { evidence: e, weight } of evidence) {
    const name = topKey(e.components);
    if (name !== undefined) totals.set(name, (totals.get(name) ?? 0) + weight);
  }
  const best = topKey(totals);
  if (best === undefined || best !== except || totals.size === 1) return best;
  totals.delete(best);
  return topKey(totals);
}
