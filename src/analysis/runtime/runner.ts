// Where the analyzer runs, behind one interface: in a worker thread with its own PostgreSQL connection, so reading
// and analysing 10,000 events never blocks requests.
import type { AnalysisInput, AnalysisResult, PastIncident } from '../types.js';
import type { AnalysisWorker } from './worker-client.js';

export interface RunnerResult {
  result: AnalysisResult;
  /** What the analyzer read, when asked for (the LLM refiner needs it). */
  input: AnalysisInput | undefined;
  /** How many events the analyzer read: 0 when the incident has none (left). */
  eventCount: number;
  /** Time spent reading and analysing (ms): not a worker's start-up, nor the wait for a reply. */
  workMs: number;
}

export interface AnalysisRunner {
  /** Reads the incident and its events and analyses them; rejects with NOT_FOUND for an unknown incident. */
  analyze(incidentId: string, past: readonly PastIncident[], wantInput: boolean): Promise<RunnerResult>;
  close(): Promise<void>;
}

/** Runs in the worker thread `worker` manages (restarted if it dies). */
export function workerRunner(worker: AnalysisWorker): AnalysisRunner {
  return {
    analyze: (incidentId, past, wantInput) => worker.analyze(incidentId, past, wantInput),
    close: () => worker.close(),
  };
}
