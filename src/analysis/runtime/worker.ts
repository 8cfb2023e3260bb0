// The analysis worker thread: reads an incident's events over its own PostgreSQL connection and runs the analyzer,
// so neither the row decoding (~100 ms for 10,000 events) nor the analysis (~70 ms) runs on the request loop.
// Only the small result goes back; the server stores it.
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { connectPostgres } from '../../db/postgres.js';
import { failureKind, isDatabaseUnavailable } from '../../db/errors.js';
import { AppError } from '../../domain/errors.js';
import { analyzeIncident } from '../analyzer.js';
import { readAnalysisInput } from './input.js';
import { WORKER_APPLICATION_NAME, type WorkerReply, type WorkerRequest, type WorkerSetup } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('src/analysis/worker.ts runs only as a worker thread');
const { databaseUrl, statementTimeoutMs, preparedStatements } = workerData as WorkerSetup;
// One connection: the server runs one analysis at a time (its limiter), so more would sit idle.
const db = connectPostgres(databaseUrl, {
  poolSize: 1,
  applicationName: WORKER_APPLICATION_NAME,
  ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
  ...(preparedStatements !== undefined ? { preparedStatements } : {}),
});

const reply = (message: WorkerReply): void => port.postMessage(message);

/** The analyses asked for so far, chained: each starts when the one before it has answered. */
let queue: Promise<void> = Promise.resolve();

port.on('message', (message: WorkerRequest) => {
  if (message.type === 'close') {
    // Closing the port lets the thread end once the pool's sockets are gone.
    void db.destroy().finally(() => port.close());
    return;
  }
  // One analysis at a time, in the order asked: the thread has one connection, and `pg`'s pool counts a wait for it
  // against its connect timeout. The server sends one at a time today (its limiter's concurrency is 1); this keeps a
  // higher one from turning into connect timeouts here. (With a higher one, a request's deadline, armed when the server
  // sends it, would also count its wait in this queue.) analyze answers its own failures; should even that answer
  // throw, the chain goes on, and the unanswered request's deadline stops the thread and fails what waits behind it.
  queue = queue.then(() => analyze(message)).catch(() => undefined);
});

async function analyze({
  id,
  incidentId,
  past,
  wantInput,
}: Extract<WorkerRequest, { type: 'analyze' }>): Promise<void> {
  try {
    const started = performance.now();
    const input = await readAnalysisInput(db, incidentId, past);
    const result = analyzeIncident(input);
    const workMs = performance.now() - started;
    const heapBytes = getHeapStatistics().total_heap_size;
    reply({
      id,
      ok: true,
      result,
      input: wantInput ? input : undefined,
      eventCount: input.events.length,
      workMs,
      heapBytes,
    });
  } catch (err) {
    // Keep the kind of failure across the thread boundary: the database away is a 503, not a 500.
    const code = err instanceof AppError ? err.code : isDatabaseUnavailable(err) ? 'UNAVAILABLE' : undefined;
    reply({ id, ok: false, code, message: err instanceof Error ? err.message : String(err), kind: failureKind(err) });
  }
}
