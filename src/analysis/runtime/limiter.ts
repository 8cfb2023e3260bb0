// Bounds how many analyses run at once, so a flood of new incidents queues work instead of starving requests.
// Requests a person is waiting for (on-demand analysis) jump the queue.
import { AppError } from '../../domain/errors.js';

/** The limiter was closed (shutdown) before this task got a slot: it never ran. A 503 to whoever waited for it. */
export class LimiterClosedError extends AppError {
  constructor() {
    super('UNAVAILABLE', 'the server is shutting down: the analysis did not start; ask again shortly');
  }
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class Limiter {
  private active = 0;
  private closed = false;
  private readonly urgent: Waiter[] = [];
  private readonly queue: Waiter[] = [];

  constructor(
    private readonly max: number,
    private readonly onDepth: (waiting: number) => void = () => undefined,
  ) {}

  get waiting(): number {
    return this.urgent.length + this.queue.length;
  }

  /** Runs `fn` once a slot is free; rejects with LimiterClosedError if the limiter closes first. */
  async run<T>(fn: () => Promise<T>, opts: { urgent?: boolean } = {}): Promise<T> {
    if (this.closed) throw new LimiterClosedError();
    if (this.active >= this.max) {
      await new Promise<void>((resolve, reject) => {
        (opts.urgent ? this.urgent : this.queue).push({ resolve, reject });
        this.onDepth(this.waiting);
      });
    }
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      const next = this.urgent.shift() ?? this.queue.shift();
      if (next) {
        this.onDepth(this.waiting);
        next.resolve();
      }
    }
  }

  /**
   * Shutdown: tasks still waiting for a slot are dropped (rejected with LimiterClosedError), so stopping waits only
   * for the few that run, not for a backlog of thousands; new tasks are refused.
   */
  close(): void {
    this.closed = true;
    const dropped = [...this.urgent.splice(0), ...this.queue.splice(0)];
    if (dropped.length) this.onDepth(0);
    for (const waiter of dropped) waiter.reject(new LimiterClosedError());
  }
}
