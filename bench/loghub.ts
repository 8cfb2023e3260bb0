// Loghub-2k fixture loading (CSV parsing) and grouping-accuracy scoring, shared by the benchmark and the tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The eight Loghub-2k datasets we score on; each lives in test/fixtures/loghub/<name>/. */
export const DATASETS = ['HDFS', 'Hadoop', 'Spark', 'Zookeeper', 'BGL', 'HPC', 'Apache', 'OpenSSH'] as const;

export type DatasetName = (typeof DATASETS)[number];

/** Drain's published grouping accuracy (Zhu et al., ICSE-SEIP 2019, "Tools and Benchmarks for Automated Log Parsing"). */
export const DRAIN_PUBLISHED_GA: Readonly<Record<DatasetName, number>> = {
  HDFS: 0.998,
  Hadoop: 0.948,
  Spark: 0.92,
  Zookeeper: 0.967,
  BGL: 0.963,
  HPC: 0.887,
  Apache: 1.0,
  OpenSSH: 0.788,
};

export interface LabelledLine {
  content: string;
  eventId: string;
}

/**
 * Parses RFC 4180 CSV: fields may be quoted, quoted fields may contain commas,
 * newlines and doubled quotes (""). CRLF and LF line endings are both accepted.
 * A hand-rolled scanner because splitting on commas breaks on Loghub's quoted
 * Content fields and we do not want a dependency for this.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let inQuotes = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (inQuotes) {
      if (c === 34 /* " */) {
        if (i + 1 < n && text.charCodeAt(i + 1) === 34) {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        continue;
      }
      // Copy the run of ordinary characters in one slice rather than char by char.
      let j = text.indexOf('"', i);
      if (j === -1) j = n;
      field += text.slice(i, j);
      i = j;
      continue;
    }
    if (c === 34 && field.length === 0) {
      inQuotes = true;
      i++;
    } else if (c === 44 /* , */) {
      row.push(field);
      field = '';
      i++;
    } else if (c === 10 /* \n */ || c === 13 /* \r */) {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += c === 13 && i + 1 < n && text.charCodeAt(i + 1) === 10 ? 2 : 1;
    } else {
      field += text[i];
      i++;
    }
  }
  if (inQuotes) throw new Error('CSV ends inside a quoted field');
  // A final line without a trailing newline still counts as a row.
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Path of a dataset's structured CSV inside the repository's own fixture copy. */
export function datasetPath(name: DatasetName): string {
  return fileURLToPath(new URL(`../test/fixtures/loghub/${name}/${name}_2k.log_structured.csv`, import.meta.url));
}

/**
 * The eight other Loghub-2k systems, never looked at while the miner was
 * designed and scored once it was frozen (bench/fixtures/loghub-heldout/).
 */
export const HELDOUT_DATASETS = [
  'Android',
  'HealthApp',
  'Linux',
  'Mac',
  'OpenStack',
  'Proxifier',
  'Thunderbird',
  'Windows',
] as const;

/** Path of a held-out system's structured CSV. */
export function heldoutPath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/loghub-heldout/${name}/${name}_2k.log_structured.csv`, import.meta.url));
}

/** The own-format test set (bench/fixtures/own/generate.ts), kept out of tuning. */
export const OWN_DATASETS = ['nginx', 'kubernetes', 'postgresql', 'java', 'syslog', 'jsonl'] as const;

/** Path of an own-format sample's CSV. */
export function ownPath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/own/${name}.csv`, import.meta.url));
}

/**
 * The blind test set (bench/fixtures/blind/generate.ts): formats chosen and labelled by
 * a reviewer who had not seen the miner's tuning, so it measures generalisation to logs
 * the author never looked at.
 */
export const BLIND_DATASETS = [
  'apache-error',
  'haproxy',
  'logrus',
  'redis',
  'mysql',
  'kafka',
  'elasticsearch',
] as const;

/** Path of a blind-set sample's CSV. */
export function blindPath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/blind/${name}.csv`, import.meta.url));
}

/** Loads a dataset's (Content, EventId) pairs in file order. */
export function loadDataset(name: DatasetName): LabelledLine[] {
  return loadLabelled(datasetPath(name), name);
}

/** Loads (Content, EventId) pairs from any CSV with those two columns. */
export function loadLabelled(path: string, name: string): LabelledLine[] {
  const rows = parseCsv(readFileSync(path, 'utf8'));
  const header = rows[0];
  if (header === undefined) throw new Error(`${name}: empty CSV`);
  const contentCol = header.indexOf('Content');
  const eventCol = header.indexOf('EventId');
  if (contentCol < 0 || eventCol < 0) throw new Error(`${name}: missing Content/EventId columns`);
  const lines: LabelledLine[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r];
    if (row === undefined || (row.length === 1 && row[0] === '')) continue;
    const content = row[contentCol];
    const eventId = row[eventCol];
    if (content === undefined || eventId === undefined) {
      throw new Error(`${name}: row ${r} has ${row.length} fields, expected ${header.length}`);
    }
    lines.push({ content, eventId });
  }
  return lines;
}

/**
 * Grouping accuracy (Zhu et al. 2019): a line counts as correct iff the set of
 * lines the parser put in its group is exactly the set of lines sharing its
 * ground-truth event. `predicted[i]` and `truth[i]` are group keys for line i.
 */
export function groupingAccuracy(predicted: readonly string[], truth: readonly string[]): number {
  if (predicted.length !== truth.length) throw new Error('predicted/truth length mismatch');
  if (predicted.length === 0) return 1;
  const truthSize = new Map<string, number>();
  for (const t of truth) truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
  // For each predicted group: its size and whether all its lines share one true event.
  const groups = new Map<string, { size: number; event: string; pure: boolean }>();
  for (let i = 0; i < predicted.length; i++) {
    const p = predicted[i] ?? '';
    const t = truth[i] ?? '';
    const g = groups.get(p);
    if (g === undefined) groups.set(p, { size: 1, event: t, pure: true });
    else {
      g.size++;
      if (g.event !== t) g.pure = false;
    }
  }
  let correct = 0;
  for (const g of groups.values()) {
    if (g.pure && truthSize.get(g.event) === g.size) correct += g.size;
  }
  return correct / predicted.length;
}

/** One candidate setting, its label and the GA it scores on each system. */
export interface Candidate {
  label: string;
  ga: readonly number[];
}

/** One leave-one-system-out fold: the setting chosen on the other systems and the GA it scores on this one. */
export interface Fold {
  system: number;
  chosen: string;
  ga: number;
}

/**
 * Leave-one-system-out: for each system, the candidate with the best mean GA
 * over the *other* systems is chosen (ties: the earlier candidate, so the grid
 * order, simplest first, is the tie-break), and scored on the left-out one.
 * The left-out system's own GA never influences the choice that scores it.
 */
export function leaveOneSystemOut(candidates: readonly Candidate[], systems: number): Fold[] {
  const folds: Fold[] = [];
  for (let s = 0; s < systems; s++) {
    let best: Candidate | undefined;
    let bestMean = -1;
    for (const c of candidates) {
      let sum = 0;
      for (let o = 0; o < systems; o++) if (o !== s) sum += c.ga[o] ?? 0;
      const mean = sum / (systems - 1);
      if (mean > bestMean + 1e-12) {
        best = c;
        bestMean = mean;
      }
    }
    folds.push({ system: s, chosen: best?.label ?? '', ga: best?.ga[s] ?? 0 });
  }
  return folds;
}
