// A pino logger whose lines the test can read: for what is logged, at which level, and how often.
import { Writable } from 'node:stream';
import { pino } from 'pino';

export type LogLine = Record<string, unknown>;

/** A logger at `level` and the parsed lines it has written so far (appended as they are written). */
export function captureLogs(level: pino.Level = 'warn'): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
