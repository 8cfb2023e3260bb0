// The server's side of the analysis worker thread (./worker.ts): starts it with the first analysis, sends it
// incidents to analyse, matches replies to requests, restarts the thread if it dies, and ends it on shutdown.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { AppError } from '../../domain/errors.js';
import type { AnalysisInput, AnalysisResult, PastIncident } from '../types.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './worker-protocol.js';

/**
 * The thread's entry. Compiled (this code is inside dist/main.js): dist/worker.js, the worker's own bundle, plain
 * JavaScript, no loader. From the sources (tests, `npm run dev`): worker-boot.mjs, which registers tsx first.
 */
const BOOT = import.meta.url.endsWith('.js')
  ? new URL('./worker.js', import.meta.url)
  : new URL('./worker-boot.mjs', import.meta.url);
/** How long shutdown waits for the thread to close its connection before stopping it. */
const CLOSE_GRACE_MS = 5_000;
/** A thread with no analysis to do for this long ends (its memory and connection go back); the next starts anew. */
export const IDLE_THREAD_MS = 300_000;
/**
 * An analysis not answered in this long is given up and its thread stopped, so one that never ends (a statement
 * waiting on a lock with DB_STATEMENT_TIMEOUT_MS=0, a pathological input) cannot stall every later analysis: they
 * run one at a time. An incident of 10,000 events takes ~0.1 s to read and analyse (docs/performance.md).
 */
export const ANALYSIS_DEADLINE_MS = 60_000;

export interface ThreadAnalysis {
  result: AnalysisResult;
  /** What the analyzer read; only when asked for (the LLM refiner needs it), as copying it back costs ~40 ms. */
  input: AnalysisInput | undefined;
  /** How many events the analyzer read. */
  eventCount: number;
  /** Time the thread spent reading and analysing (ms): not its start-up, nor the wait for a reply. */
  workMs: number;
}

interface Pending {
  resolve(value: ThreadAnalysis): void;
  reject(err: Error): void;
  deadline: NodeJS.Timeout;
}

export class AnalysisWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set by recycle() while analyses are pending: the thread ends when they are answered. */
  private recycling = false;

  constructor(
    private readonly setup: WorkerSetup,
    private readonly logger: Logger,
    /** Gets the thread's V8 heap size (bytes) after each analysis: its share of the process's memory. */
    private readonly onHeap: (bytes: number) => void = () => undefined,
    private readonly idleMs: number = IDLE_THREAD_MS,
    private readonly deadlineMs: number = ANALYSIS_DEADLINE_MS,
  ) {}

  analyze(incidentId: string, past: readonly PastIncident[], wantInput: boolean): Promise<ThreadAnalysis> {
    if (this.closing) return Promise.reject(new Error('analysis worker is shut down'));
    // The thread starts with the first analysis, not with the server: an isolate of its own with its modules loaded
    // is 16-30 MiB of RSS (docs/performance.md, 2026-11-30), which a server with nothing to analyse need not hold.
    // Starting it takes ~0.1 s, paid once, off the request path (analysis is queued, never awaited by a request
    // other than an explicit analyze). For the same reason it ends after idleMs without work.
    clearTimeout(this.idleTimer);
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<ThreadAnalysis>((resolve, reject) => {
      const deadline = setTimeout(() => this.overdue(worker, id, incidentId), this.deadlineMs);
      deadline.unref();
      this.pending.set(id, { resolve, reject, deadline });
      const request: WorkerRequest = { type: 'analyze', id, incidentId, past, wantInput };
      worker.postMessage(request);
    });
  }

  /** Asks the thread to close its database connection and waits for it to end (stops it after a grace period). */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    if (!worker) return;
    const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const request: WorkerRequest = { type: 'close' };
    worker.postMessage(request);
    const timer = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
    await ended;
    clearTimeout(timer);
  }

  /** For tests: the running thread, so a test can kill it and see the next analysis start a new one. */
  get thread(): Worker | undefined {
    return this.worker;
  }

  private start(): Worker {
    // A small young generation: the thread allocates in bursts (one analysis at a time) and sits idle between
    // them, so a large one only holds memory. Measured after analysing a 10,000-event incident 5 times: the thread's
    // heap 74 MiB against 92-103 with the default, server RSS 199 against 218-228, analyze calls alike (0.29-0.45 s
    // against 0.26-0.65 s, with a test suite running beside).
    const worker = new Worker(BOOT, { workerData: this.setup, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    this.worker = worker;
    this.recycling = false;
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (err) => this.logger.error({ err }, 'analysis worker failed'));
    worker.on('exit', (code) => {
      // A thread retired for idleness held no request, and a new one may already have taken the next ones.
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.onHeap(0);
      // Requests the thread took with it fail; the next analysis starts a new thread.
      const lost = new Error(`analysis worker exited (code ${code}) before answering`);
      this.failPending(() => lost);
      if (!this.closing) this.logger.warn({ code }, 'analysis worker exited; a new one starts with the next analysis');
    });
    return worker;
  }

  /**
   * An analysis ran past deadlineMs: it fails, naming the incident, and its thread is stopped (the only way to end
   * whatever it is stuck in); other analyses it held fail with it, and the next one starts a new thread.
   */
  private overdue(worker: Worker, id: number, incidentId: string): void {
    const p = this.pending.get(id);
    if (!p || this.worker !== worker) return;
    this.logger.error(
      { incident_id: incidentId, deadline_ms: this.deadlineMs },
      'analysis did not finish in time; stopping the analysis thread',
    );
    // Detached before it ends, so the next analysis starts a new thread instead of going to this one.
    this.worker = undefined;
    this.onHeap(0);
    const stopped = new Error(`analysis worker stopped: another analysis on it ran past ${this.deadlineMs} ms`);
    this.failPending((other) =>
      other === id
        ? new Error(`analysis of incident ${incidentId} did not finish within ${this.deadlineMs} ms`)
        : stopped,
    );
    void worker.terminate();
  }

  /** Fails every analysis the thread holds, each with `errorFor(its id)`, and forgets them. */
  private failPending(errorFor: (id: number) => Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.deadline);
      p.reject(errorFor(id));
    }
    this.pending.clear();
  }

  /**
   * Ends the thread (now if idle, else once its analyses are answered), so the next analysis starts one with a new
   * connection: the server's pool met a read-only database (a failover), and the thread's connection, reads only,
   * would never meet it and kept analysing the demoted primary's stale events (a review, 2026-12-02).
   */
  recycle(): void {
    if (!this.worker) return;
    if (this.pending.size === 0) this.retire();
    else this.recycling = true;
  }

  /** Ends an idle thread: it closes its connection and exits; the heap gauge says no thread runs. */
  private retire(): void {
    const worker = this.worker;
    if (!worker || this.pending.size > 0 || this.closing) return;
    this.worker = undefined;
    const request: WorkerRequest = { type: 'close' };
    worker.postMessage(request);
    // Closing its connection can hang (a server gone without a word, after a failover): stopped after a grace, so
    // two threads and their connections do not live on side by side.
    const stop = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
    stop.unref();
    worker.once('exit', () => clearTimeout(stop));
    this.onHeap(0);
  }

  private settle(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    clearTimeout(p.deadline);
    this.pending.delete(reply.id);
    // The heap first: a thread retired just below reports none.
    if (reply.ok) this.onHeap(reply.heapBytes);
    if (this.pending.size === 0 && this.recycling) {
      this.recycling = false;
      this.retire();
    } else if (this.pending.size === 0) {
      this.idleTimer = setTimeout(() => this.retire(), this.idleMs);
      // Never what keeps the process alive.
      this.idleTimer.unref();
    }
    if (reply.ok) {
      p.resolve({ result: reply.result, input: reply.input, eventCount: reply.eventCount, workMs: reply.workMs });
    } else {
      // The thread's error, as far as a message can carry it: its code for failureKind and needsOperator.
      const cause = Object.assign(new Error(reply.message), { code: reply.kind });
      p.reject(
        reply.code
          ? new AppError(reply.code, reply.message, undefined, { cause })
          : new Error(`analysis worker: ${reply.message}`, { cause }),
      );
    }
  }
}
