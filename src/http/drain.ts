// The moment between a SIGTERM and closing the listener: requests are still answered, each response closes its
// connection, and the health probes say the server is going, so a load balancer stops sending new work here.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import { RETRY_AFTER_SECONDS } from './errors.js';
import { setResponseHeader } from './node-io.js';

/** The probes a load balancer or Kubernetes reads to route traffic (src/http/health.ts). */
const READINESS_PATHS = new Set(['/health', '/readyz', '/health/', '/readyz/']);

/** Whether the server is draining; shared by the middleware and whoever starts the drain (src/server.ts). */
export class Drain {
  private draining = false;

  /** From now on every response closes its connection and the readiness probes answer 503. Idempotent. */
  start(): void {
    this.draining = true;
  }

  /**
   * While draining: `/health` and `/readyz` answer 503 `{"status": "shutting down"}` with `Retry-After`, every other
   * request is served as usual with `Connection: close` (RFC 9112 §9.6), so keep-alive clients reconnect, to
   * another instance behind a load balancer, instead of finding their idle connection closed under them. `/livez`
   * still answers 200: the process is alive, and a liveness failure would have it killed mid-drain.
   */
  middleware(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      if (!this.draining) {
        await next();
        // Begun before the drain and answered during it (a slow upload, a long statement): its connection closes too,
        // or the client would reuse it just as the listener goes (an outage drill saw keep-alive on such a response).
        if (this.draining) setResponseHeader(c, 'connection', 'close');
        return;
      }
      setResponseHeader(c, 'connection', 'close');
      if (READINESS_PATHS.has(c.req.path)) {
        c.header('Retry-After', String(RETRY_AFTER_SECONDS));
        return c.json({ status: 'shutting down' }, 503);
      }
      return next();
    };
  }
}
