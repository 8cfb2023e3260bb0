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

/** What is logged for an `err` that cannot be serialised at all (a revoked Proxy, a getter that throws). */
const UNSERIALIZABLE = '[a value that could not be serialised]';

/**
 * pino's error serializer (`{type, message, stack, ...}`), with `type` the error's class name as written. The
 * production bundle does not keep names (build.mjs: esbuild's keepNames cost 9-21% of GET throughput), so an error
 * class whose name collides with another module's binding in the bundle carries a numeric suffix there: pg's
 * DatabaseError is DatabaseError2. The digits after a trailing `Error` are dropped (RE2, Http2 and ErrorV2 keep
 * theirs). Anything else logged as `err` (a rejection's reason may be a string, null, any object) passes through as
 * pino's serializer returns it, the caller's own object never written to. Never throws: the last-resort handlers log
 * whatever they are given, and a throw there would end the process.
 */
export function serializeError(err: unknown): unknown {
  try {
    const out: unknown = pino.stdSerializers.err(err as Error);
    // For a value that is not an Error, pino returns that value itself.
    if (out !== err && typeof out === 'object' && out !== null && 'type' in out && typeof out.type === 'string') {
      out.type = out.type.replace(/(?<=Error)\d+$/, '');
      // pg-pool attaches the whole pg Client to an idle connection's error (`err.client`): kilobytes of connection
      // state, the backend's query-cancel key among it. pino's serializer copies every enumerable property.
      if ('client' in out) delete out.client;
    }
    return out;
  } catch {
    return UNSERIALIZABLE;
  }
}
