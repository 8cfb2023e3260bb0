// Benchmark: grouping accuracy and throughput of TemplateMiner on the Loghub-2k datasets (`npx tsx bench/templates.ts`).
import { performance } from 'node:perf_hooks';
import { TemplateMiner } from '../src/analysis/templates/drain.js';
import { DATASETS, DRAIN_PUBLISHED_GA, groupingAccuracy, loadDataset } from './loghub.js';

/** Timed samples per dataset; the median damps GC pauses and noise from other processes. */
const SAMPLES = 7;
/** Fresh-miner passes over the dataset inside one sample, so a sample lasts long enough to time reliably. */
const PASSES_PER_SAMPLE = 10;

/** Streams every message through one fresh miner; returns each line's final (post-merge) cluster id. */
function finalGroups(messages: readonly string[]): { groups: string[]; templates: number } {
  const miner = new TemplateMiner();
  const ids = messages.map((m) => miner.add(m).id);
  return { groups: ids.map((id) => miner.resolve(id)), templates: miner.templates().length };
}

/** Lines per second of the miner alone (CSV parsing excluded), each pass starting from an empty miner. */
function minerLinesPerSecond(messages: readonly string[]): number {
  const start = performance.now();
  for (let pass = 0; pass < PASSES_PER_SAMPLE; pass++) {
    const miner = new TemplateMiner();
    for (const m of messages) miner.add(m);
  }
  const seconds = (performance.now() - start) / 1000;
  return (PASSES_PER_SAMPLE * messages.length) / seconds;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function row(cells: readonly string[], widths: readonly number[]): string {
  // Name column left-aligned, numbers right-aligned.
  return `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
}

const datasets = DATASETS.map((name) => {
  const lines = loadDataset(name);
  return { name, lines, messages: lines.map((l) => l.content) };
});
// Warm the JIT on every dataset first so the first one measured is not penalised.
for (const d of datasets) minerLinesPerSecond(d.messages);

const widths = [10, 6, 9, 6, 18, 11];
console.log(row(['dataset', 'lines', 'templates', 'GA', 'Drain published GA', 'lines/s'], widths));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);

let gaSum = 0;
let publishedSum = 0;
let totalLines = 0;
let totalSeconds = 0;
for (const { name, lines, messages } of datasets) {
  const { groups, templates } = finalGroups(messages);
  const ga = groupingAccuracy(
    groups,
    lines.map((l) => l.eventId),
  );
  const rate = median(Array.from({ length: SAMPLES }, () => minerLinesPerSecond(messages)));
  gaSum += ga;
  publishedSum += DRAIN_PUBLISHED_GA[name];
  totalLines += messages.length;
  totalSeconds += messages.length / rate;
  console.log(
    row(
      [
        name,
        String(messages.length),
        String(templates),
        ga.toFixed(3),
        DRAIN_PUBLISHED_GA[name].toFixed(3),
        Math.round(rate).toLocaleString('en-US'),
      ],
      widths,
    ),
  );
}
console.log(
  row(
    [
      'average',
      String(totalLines),
      '',
      (gaSum / DATASETS.length).toFixed(3),
      (publishedSum / DATASETS.length).toFixed(3),
      Math.round(totalLines / totalSeconds).toLocaleString('en-US'),
    ],
    widths,
  ),
);
console.log(
  `\nGA: grouping accuracy by final cluster id (after folds). lines/s: median of ${SAMPLES} samples,` +
    ` each ${PASSES_PER_SAMPLE} passes of a fresh miner over the dataset, CSV parsing excluded;` +
    ' the average row is all lines over the summed per-dataset times (combined throughput).',
);
