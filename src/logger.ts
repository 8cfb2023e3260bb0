// Structured JSON logs on stdout (pino); one logger per app, children per request.
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'warroom' }, timestamp: pino.stdTimeFunctions.isoTime });
}
