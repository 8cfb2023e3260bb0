// `warroom serve` with a short presence heartbeat and timeout (PRESENCE_HEARTBEAT_MS, PRESENCE_TIMEOUT_MS), for the
// cluster test that kills an instance; the server itself reads them only from code (StartOptions.presence).
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';

const server = await startServer(loadConfig(), {
  presence: {
    heartbeatMs: Number(process.env.PRESENCE_HEARTBEAT_MS),
    timeoutMs: Number(process.env.PRESENCE_TIMEOUT_MS),
  },
});
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
