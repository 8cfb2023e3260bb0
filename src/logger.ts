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
  return pino(
    {
      level,
      base: { service: 'warroom' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError },
    },
    destination,
  );
}

/**
 * pino's error serializer (`{type, message, stack, ...}`), with `type` the error's class name as written. The
 * production bundle does not keep names (build.mjs: esbuild's keepNames cost 9-21% of GET throughput), so a class
 * whose name collides with another module's in the bundle carries a numeric suffix there: pg's DatabaseError is
 * DatabaseError2. The suffix is dropped; a class whose real name ends in a digit after a letter would lose it too.
 */
export function serializeError(err: Error): ReturnType<typeof pino.stdSerializers.err> {
  const out = pino.stdSerializers.err(err);
  out.type = out.type.replace(/(?<=[A-Za-z_$])\d+$/, '');
  return out;
}
