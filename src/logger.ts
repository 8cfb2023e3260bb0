// Structured JSON logs on stdout (pino); one logger per app, children per request.
import { pino, type Logger } from 'pino';

/**
 * Asynchronous writes (sonic-boom): lines logged while a write is in flight go out together in the next one, so
 * under load there is no longer one write() syscall per request (the largest single cost of a GET), and when idle
 * each line still goes out at once. What is buffered is flushed on exit.
 */
export function createLogger(level: string): Logger {
  const destination = pino.destination({ dest: 1, sync: false });
  process.once('exit', () => destination.flushSync());
  return pino({ level, base: { service: 'warroom' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
