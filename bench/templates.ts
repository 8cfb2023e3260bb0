// Benchmark of the batch template miner (`npm run bench:templates`): GA per system, leave-one-system-out GA, own, blind and held-out sets, lines/s.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { type BatchOptions, DEFAULT_BATCH_OPTIONS, mineTemplates } from '../src/analysis/templates/batch.js';
import { runTemplatesCli } from '../src/analysis/templates/cli.js';
import { clearMaskCache } from '../src/analysis/templates/masking.js';
import {
  BLIND_DATASETS,
  type Candidate,
  DATASETS,
  DRAIN_PUBLISHED_GA,
  HELDOUT_DATASETS,
  type LabelledLine,
  OWN_DATASETS,
  blindPath,
  groupingAccuracy,
  heldoutPath,
  leaveOneSystemOut,
  loadDataset,
  loadLabelled,
  ownPath,
} from './loghub.js';

/** Timed samples per dataset; the median damps GC pauses and noise from other processes. */
const SAMPLES = 7;
/** Batches mined inside one sample, so a sample lasts long enough to time reliably. */
const PASSES_PER_SAMPLE = 10;

/**
 * The settings the leave-one-system-out protocol chooses among: every bound
 * of batch.ts's one configuration, simplest first (the tie-break). A first-token
 * or upper-case bound of 0 means "no bound of its own" (the general one applies).
 */
function candidateGrid(): Array<{ label: string; opts: BatchOptions }> {
  const grid: Array<{ label: string; opts: BatchOptions }> = [];
  for (const k of [1, 2, 3, 4, 5, 6, 8]) {
    for (const f of [0, 8, 16, Infinity]) {
      for (const c of [0, 8, 16, Infinity]) {
        grid.push({ label: `K=${k} F=${f} C=${c}`, opts: { maxEnumValues: k, maxFirstValues: f, maxCapsValues: c } });
      }
    }
  }
  return grid;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Lines per second of mineTemplates on one batch (CSV parsing excluded). The
 * per-token masking memo is emptied before every batch, so each is timed cold,
 * as the first batch of a new process would be.
 */
function linesPerSecond(messages: readonly string[]): number {
  let ms = 0;
  for (let pass = 0; pass < PASSES_PER_SAMPLE; pass++) {
    clearMaskCache();
    const start = performance.now();
    mineTemplates(messages);
    ms += performance.now() - start;
  }
  return (PASSES_PER_SAMPLE * messages.length) / (ms / 1000);
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
}

function table(header: readonly string[], widths: readonly number[], rows: ReadonlyArray<readonly string[]>): void {
  console.log(row(header, widths));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(row(r, widths));
}

/** Collects what the CLI writes. */
class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** GA through the CLI path: Content written one message per line, grouped by the printed template_id. */
async function cliGa(lines: readonly LabelledLine[], dir: string): Promise<{ ga: number; templates: number }> {
  const file = join(dir, 'input.log');
  await writeFile(file, `${lines.map((l) => l.content).join('\n')}\n`);
  const sink = new Sink();
  await runTemplatesCli(file, sink);
  const ids = sink.text
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as { template_id: string }).template_id);
  return {
    ga: groupingAccuracy(
      ids,
      lines.map((l) => l.eventId),
    ),
    templates: new Set(ids).size,
  };
}

/** Thrown to skip the own, blind and held-out sections under `--dev-only`. */
class DevOnly extends Error {}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const dev = DATASETS.map((name) => {
  const lines = loadDataset(name);
  return { name, messages: lines.map((l) => l.content), truth: lines.map((l) => l.eventId) };
});
for (const d of dev) linesPerSecond(d.messages); // warm the JIT

console.log(
  `Development set (test/fixtures/loghub), default configuration ${JSON.stringify(DEFAULT_BATCH_OPTIONS)}:\n`,
);
const devGa: number[] = [];
const rates: number[] = [];
const devRows = dev.map((d) => {
  const result = mineTemplates(d.messages);
  const ga = groupingAccuracy(result.ids, d.truth);
  const rate = median(Array.from({ length: SAMPLES }, () => linesPerSecond(d.messages)));
  devGa.push(ga);
  rates.push(rate);
  return [
    d.name,
    String(d.messages.length),
    String(result.templates.length),
    ga.toFixed(3),
    DRAIN_PUBLISHED_GA[d.name].toFixed(3),
    Math.round(rate).toLocaleString('en-US'),
  ];
});
const totalLines = dev.reduce((s, d) => s + d.messages.length, 0);
const totalSeconds = dev.reduce((s, d, i) => s + d.messages.length / (rates[i] ?? 1), 0);
const drainMean = mean(dev.map((d) => DRAIN_PUBLISHED_GA[d.name]));
devRows.push([
  'average',
  String(totalLines),
  '',
  mean(devGa).toFixed(3),
  drainMean.toFixed(3),
  Math.round(totalLines / totalSeconds).toLocaleString('en-US'),
]);
// Drain's published GA was reached with per-dataset regexes and thresholds (Zhu et al. 2019).
table(['system', 'lines', 'templates', 'GA', 'Drain (tuned)', 'lines/s'], [10, 6, 9, 6, 13, 10], devRows);

const grid = candidateGrid();
const candidates: Candidate[] = grid.map((g) => ({
  label: g.label,
  ga: dev.map((d) => groupingAccuracy(mineTemplates(d.messages, g.opts).ids, d.truth)),
}));
const folds = leaveOneSystemOut(candidates, dev.length);
console.log(
  `\nLeave-one-system-out over ${grid.length} candidate settings (chosen on the other seven, scored on this one):\n`,
);
table(
  ['left out', 'chosen on the other seven', 'GA'],
  [10, 26, 6],
  folds.map((f) => [dev[f.system]?.name ?? '', f.chosen, f.ga.toFixed(3)]),
);
const losoGa = folds.map((f) => f.ga);
// The shipped default is the same rule applied to all eight: the best mean, ties to the simplest.
const overall = leaveOneSystemOut(
  candidates.map((c) => ({ label: c.label, ga: [0, ...c.ga] })),
  dev.length + 1,
)[0]?.chosen;
console.log(
  `\nChosen on all eight (the same rule): ${overall ?? '?'}; the shipped default is ${JSON.stringify(DEFAULT_BATCH_OPTIONS)}`,
);
console.log(
  `\nLOSO GA ${mean(losoGa).toFixed(3)} (lowest ${Math.min(...losoGa).toFixed(3)}); plain average of the default ${mean(devGa).toFixed(3)}`,
);

/** `--dev-only` stops here: tuning runs must not see the own, blind or held-out scores. */
const devOnly = process.argv.includes('--dev-only');
const dir = await mkdtemp(join(tmpdir(), 'warroom-bench-templates-'));
try {
  if (devOnly) throw new DevOnly();
  console.log('\nOwn test set (bench/fixtures/own, not used for tuning), through the CLI path:\n');
  const ownGa: number[] = [];
  const ownRows: string[][] = [];
  for (const name of OWN_DATASETS) {
    const lines = loadLabelled(ownPath(name), name);
    const { ga, templates } = await cliGa(lines, dir);
    ownGa.push(ga);
    ownRows.push([
      name,
      String(lines.length),
      String(new Set(lines.map((l) => l.eventId)).size),
      String(templates),
      ga.toFixed(3),
    ]);
  }
  ownRows.push(['average', '', '', '', mean(ownGa).toFixed(3)]);
  table(['sample', 'lines', 'events', 'templates', 'GA'], [10, 6, 6, 9, 6], ownRows);

  // Scored like the own set (CLI path, default settings) but printed apart: the own set's
  // formats and labels are the author's, these are another reviewer's, so this average also
  // catches blind spots the author shares with his own samples.
  console.log(
    '\nBlind test set (bench/fixtures/blind, written by another hand; never used for tuning), through the CLI path:\n',
  );
  const blindGa: number[] = [];
  const blindRows: string[][] = [];
  for (const name of BLIND_DATASETS) {
    const lines = loadLabelled(blindPath(name), name);
    const { ga, templates } = await cliGa(lines, dir);
    blindGa.push(ga);
    blindRows.push([
      name,
      String(lines.length),
      String(new Set(lines.map((l) => l.eventId)).size),
      String(templates),
      ga.toFixed(3),
    ]);
  }
  blindRows.push(['average', '', '', '', mean(blindGa).toFixed(3)]);
  table(['sample', 'lines', 'events', 'templates', 'GA'], [13, 6, 6, 9, 6], blindRows);

  const present = HELDOUT_DATASETS.filter((name) => existsSync(heldoutPath(name)));
  if (present.length === 0) {
    console.log('\nHeld-out set: bench/fixtures/loghub-heldout/ not present, skipped.');
  } else {
    console.log(
      '\nHeld-out Loghub-2k systems (bench/fixtures/loghub-heldout, scored after the design was frozen), through the CLI path:\n',
    );
    const heldGa: number[] = [];
    const heldRows: string[][] = [];
    for (const name of present) {
      const lines = loadLabelled(heldoutPath(name), name);
      const { ga, templates } = await cliGa(lines, dir);
      heldGa.push(ga);
      heldRows.push([
        name,
        String(lines.length),
        String(new Set(lines.map((l) => l.eventId)).size),
        String(templates),
        ga.toFixed(3),
      ]);
    }
    heldRows.push(['average', '', '', '', mean(heldGa).toFixed(3)]);
    table(['system', 'lines', 'events', 'templates', 'GA'], [11, 6, 6, 9, 6], heldRows);
  }
} catch (err) {
  if (!(err instanceof DevOnly)) throw err;
} finally {
  await rm(dir, { recursive: true, force: true });
}

console.log(
  `\nGA: grouping accuracy (Zhu et al., ICSE-SEIP 2019). lines/s: mineTemplates on one 2,000-line batch, masking memo` +
    ` emptied first, median of ${SAMPLES} samples of ${PASSES_PER_SAMPLE} batches each, CSV parsing excluded;` +
    ' the average row is all lines over the summed times.',
);
