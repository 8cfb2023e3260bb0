// Command-line front end: mines templates from a log file and prints one JSON line per input line.
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { TemplateMiner } from './drain.js';

/**
 * Streams `file` (one log message per line) through a fresh TemplateMiner and
 * writes `{"line": n, "template_id": "...", "template": "..."}` to `out` for
 * each line, n counting from 1, in input order.
 *
 * Templates evolve as more lines arrive (a position becomes `<*>` once it is
 * seen to vary, and a cluster can later be folded into a more general one).
 * A streaming tool cannot know the final state when it prints, so each row
 * carries the cluster id and template *as they stand right after that line was
 * processed*. Earlier rows are never revised: for end-of-stream groupings, use
 * TemplateMiner.resolve() on the ids instead.
 *
 * The file is read incrementally, so memory stays bounded by the number of
 * templates, not the size of the file.
 */
export async function runTemplatesCli(file: string, out: NodeJS.WritableStream): Promise<void> {
  const input = createReadStream(file, { encoding: 'utf8' });
  // Surface a missing or unreadable file as a rejection before reading starts.
  await once(input, 'open');
  const lines = createInterface({ input, crlfDelay: Infinity });
  const miner = new TemplateMiner();
  let n = 0;
  for await (const message of lines) {
    n++;
    const { id, template } = miner.add(message);
    const row = `${JSON.stringify({ line: n, template_id: id, template })}\n`;
    // Respect back-pressure so a slow consumer does not make us buffer the whole output.
    if (!out.write(row)) await once(out, 'drain');
  }
}

// Allows `npx tsx src/analysis/templates/cli.ts <file>` for ad-hoc use.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: cli.ts <log-file>\n');
    process.exitCode = 2;
  } else {
    runTemplatesCli(file, process.stdout).catch((err: unknown) => {
      // A closed pipe (`… | head`) just means the reader has seen enough.
      if (err instanceof Error && 'code' in err && err.code === 'EPIPE') return;
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
  }
}
