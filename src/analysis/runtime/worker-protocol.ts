// Messages between the server and its analysis worker thread (structured-cloned, so plain data only).
import type { AppErrorCode } from '../../domain/errors.js';
import type { AnalysisInput, AnalysisResult, PastIncident } from '../types.js';

/** The worker's connection shows under this name in pg_stat_activity. */
export const WORKER_APPLICATION_NAME = 'warroom-analysis';

export interface WorkerSetup {
  databaseUrl: string;
  /** The server's DB_STATEMENT_TIMEOUT_MS: the thread's connection gets the same `statement_timeout`. */
  statementTimeoutMs?: number;
  /** The server's DB_PREPARED_STATEMENTS: whether the thread's connection names its hot statements too. */
  preparedStatements?: boolean;
}

export type WorkerRequest =
  | { type: 'analyze'; id: number; incidentId: string; past: readonly PastIncident[]; wantInput: boolean }
  | { type: 'close' };

export type WorkerReply =
  | {
      id: number;
      ok: true;
      result: AnalysisResult;
      input: AnalysisInput | undefined;
      /** How many events the analyzer read (at most ANALYSIS_EVENT_LIMIT). */
      eventCount: number;
      workMs: number;
      /** The thread's V8 heap after the analysis (bytes; total heap size), for `/metrics`. */
      heapBytes: number;
    }
  | {
      id: number;
      ok: false;
      code: AppErrorCode | undefined;
      message: string;
      /** The failure's SQLSTATE or system code (failureKind), so the server logs one an operator must mend as such. */
      kind: string;
    };
