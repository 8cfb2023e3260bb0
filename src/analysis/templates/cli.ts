// Command-line front end (`warroom templates FILE`): mines a log file's templates as one batch, one JSON line per input line.
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { mineTemplates } from './batch.js';
import { lineMessage } from './lines.js';

/** Splits file text into lines (LF or CRLF); a final newline does not add an empty line. */
export function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Reads `file` (one log line per line) whole, reduces each line to its message
 * (lines.ts: JSON lines to level and message, syslog lines without time and
 * host), mines them as one batch (batch.ts), then writes `{"line": n, "template_id": "...", "template": "..."}`
 * to `out` for each line, n counting from 1, in input order. The id and
 * template are the line's final group: positional statistics need the whole
 * batch, so nothing is printed before the file is read. Ids derive from the
 * template text, so the same file always prints the same ids.
 */
export async function runTemplatesCli(file: string, out: NodeJS.WritableStream): Promise<void> {
  const lines = splitLines(await readFile(file, 'utf8'));
  // Whole lines: structured lines and syslog headers are reduced to their message first (lines.ts).
  const { ids, templates } = mineTemplates(lines.map(lineMessage));
  const textOf = new Map(templates.map((t) => [t.id, t.template]));
  for (let i = 0; i < lines.length; i++) {
    const id = ids[i] ?? '';
    const row = `${JSON.stringify({ line: i + 1, template_id: id, template: textOf.get(id) ?? '' })}\n`;
    // Respect back-pressure so a slow consumer does not make us buffer the whole output twice.
    if (!out.write(row)) await once(out, 'drain');
  }
}
