// When a scheduled analysis runs: new incidents at once, bursts gathered, re-runs spaced by debounce and by cost,
// one run at a time per incident, and brand-new incidents shed under a backlog. Timers are vitest's fake ones.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  delayBeforeRun,
  Scheduler,
  SHED_CREATE_ABOVE,
  type AnalysisTrigger,
} from '../../src/analysis/runtime/scheduler.js';

describe('delayBeforeRun', () => {
  const now = 1_000_000;

  it('runs a new incident at once and gathers the first burst after a quiet spell for 100 ms', () => {
    expect(delayBeforeRun('create', now, now - 10, 5_000, 2000)).toBe(0);
    expect(delayBeforeRun('ingest', now, 0, 0, 2000)).toBe(100);
  });

  it('waits out the debounce after a cheap run', () => {
    // Last run 500 ms ago took 10 ms: the 2 s debounce is the longer gap.
    expect(delayBeforeRun('ingest', now, now - 500, 10, 2000)).toBe(1500);
  });

  it('spaces an expensive incident by 50x its last run', () => {
    // Last run 1 s ago took 150 ms: the next waits until 7.5 s after it.
    expect(delayBeforeRun('ingest', now, now - 1000, 150, 2000)).toBe(6500);
    // Long past the gap: only the gathering delay.
    expect(delayBeforeRun('ingest', now, now - 60_000, 150, 2000)).toBe(100);
  });
});

describe('Scheduler', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function harness(opts: { costMs?: number; concurrency?: number; fail?: boolean } = {}) {
    const runs: Array<{ id: string; trigger: AnalysisTrigger; finish: () => void }> = [];
    const errors: unknown[] = [];
    let shed = 0;
    const scheduler = new Scheduler<string>({
      debounceMs: 2000,
      concurrency: opts.concurrency ?? 1,
      now: () => Date.now(),
      run: (id, trigger) =>
        new Promise((resolve, reject) => {
          runs.push({
            id,
            trigger,
            finish: () =>
              opts.fail ? reject(new Error('boom')) : resolve({ value: `${id}:${trigger}`, costMs: opts.costMs ?? 10 }),
          });
        }),
      onError: (err) => errors.push(err),
      onShed: () => shed++,
      onBacklog: () => undefined,
    });
    return { scheduler, runs, errors, shed: () => shed };
  }

  it('runs a new incident at once and coalesces a burst of ingest into one run after it', async () => {
    const { scheduler, runs } = harness();
    scheduler.schedule('a', 'create');
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.trigger)).toEqual(['create']);
    for (let i = 0; i < 50; i++) scheduler.schedule('a', 'ingest');
    runs[0]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    // Events arrived while the run was under way: exactly one more run, spaced by the debounce.
    await vi.advanceTimersByTimeAsync(1999);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs.map((r) => r.trigger)).toEqual(['create', 'ingest']);
  });

  it('a status change during a run gets one run after it, said to be for the status change', async () => {
    const { scheduler, runs } = harness();
    scheduler.schedule('a', 'create');
    await vi.advanceTimersByTimeAsync(0);
    scheduler.schedule('a', 'ingest');
    scheduler.schedule('a', 'status');
    scheduler.schedule('a', 'ingest');
    runs[0]?.finish();
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs.map((r) => r.trigger)).toEqual(['create', 'status']);
  });

  it('runs on demand after the run under way, and a manual run replaces a pending background one', async () => {
    const { scheduler, runs } = harness();
    scheduler.schedule('a', 'ingest');
    await vi.advanceTimersByTimeAsync(100);
    const manual = scheduler.runNow('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    runs[0]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.trigger)).toEqual(['ingest', 'manual']);
    runs[1]?.finish();
    await expect(manual).resolves.toBe('a:manual');
  });

  it('reports a failed background run and rejects a failed manual one', async () => {
    const { scheduler, runs, errors } = harness({ fail: true });
    const manual = scheduler.runNow('a');
    await vi.advanceTimersByTimeAsync(0);
    runs[0]?.finish();
    await expect(manual).rejects.toThrow('boom');
    expect(errors).toHaveLength(1);
  });

  it('sheds analyses of new incidents once the backlog is long, never ingest ones', async () => {
    const { scheduler, runs, shed } = harness();
    for (let i = 0; i <= SHED_CREATE_ABOVE + 1; i++) scheduler.schedule(`c${i}`, 'create');
    await vi.advanceTimersByTimeAsync(0);
    // One runs, the rest wait; past the threshold, creates are shed and ingest still queues.
    expect(runs).toHaveLength(1);
    scheduler.schedule('late-create', 'create');
    scheduler.schedule('late-ingest', 'ingest');
    await vi.advanceTimersByTimeAsync(100);
    expect(shed()).toBe(1);
    expect(scheduler.tracked).toBe(SHED_CREATE_ABOVE + 3);
  });

  it('forgets an incident once its spacing has passed, and runs nothing after close', async () => {
    const { scheduler, runs } = harness();
    scheduler.schedule('a', 'create');
    await vi.advanceTimersByTimeAsync(0);
    runs[0]?.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.tracked).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(scheduler.tracked).toBe(0);
    await scheduler.close();
    scheduler.schedule('b', 'create');
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(1);
  });
});

describe('shutdown with a backlog', () => {
  it('drops runs still waiting for a slot, waits only for the ones running, and answers waiting callers 503', async () => {
    let release = (): void => undefined;
    const started: string[] = [];
    const scheduler = new Scheduler<string>({
      debounceMs: 0,
      concurrency: 1,
      run: async (id) => {
        started.push(id);
        await new Promise<void>((r) => (release = r));
        return { value: id, costMs: 1 };
      },
      onError: () => undefined,
      onShed: () => undefined,
      onBacklog: () => undefined,
    });
    const first = scheduler.runNow('a');
    const waiting = [scheduler.runNow('b'), scheduler.runNow('c')];
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual(['a']);
    const closed = scheduler.close();
    for (const w of waiting) await expect(w).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    release();
    await closed;
    expect(await first).toBe('a');
    // Nothing that waited ever started, and nothing starts after close.
    expect(started).toEqual(['a']);
    await expect(scheduler.runNow('d')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
