// Bounds how many analyses run at once, so a flood of new incidents queues work instead of starving requests.
// Requests a person is waiting for (on-demand analysis) jump the queue.
export class Limiter {
  private active = 0;
  private readonly urgent: Array<() => void> = [];
  private readonly queue: Array<() => void> = [];

  constructor(
    private readonly max: number,
    private readonly onDepth: (waiting: number) => void = () => undefined,
  ) {}

  get waiting(): number {
    return this.urgent.length + this.queue.length;
  }

  async run<T>(fn: () => Promise<T>, opts: { urgent?: boolean } = {}): Promise<T> {
    if (this.active >= this.max) {
      await new Promise<void>((resolve) => {
        (opts.urgent ? this.urgent : this.queue).push(resolve);
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
        next();
      }
    }
  }
}
