// Hono's per-request variables, shared by every middleware and route.
import type { Logger } from 'pino';
import type { Access } from '../domain/access.js';

export interface AppEnv {
  Variables: {
    requestId: string;
    /**
     * The request's child logger (bound to its request id), built on first use: most requests never log, and a
     * pino child per request was measurable garbage on a 1-row GET.
     */
    log: () => Logger;
    /** Who is calling and whether keys are enforced (http/auth.ts); unset on routes that need no key. */
    access?: Access;
    /**
     * The status a refusal stands for when the answer's own status cannot say it (a tRPC subscription is refused
     * with 200 and an error event, src/http/errors.ts): what the access log and the request metrics record.
     */
    refusedWith?: number;
  };
}
