// Hono's per-request variables, shared by every middleware and route.
import type { Logger } from 'pino';

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
  };
}
