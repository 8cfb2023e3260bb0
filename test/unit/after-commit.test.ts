// What an idempotent request's procedure announces waits for its transaction to commit, and an awaited analysis,
// which would hold the transaction's connection for its whole length, is refused.
import { describe, expect, it } from 'vitest';
import type { AnalysisScheduler } from '../../src/analysis/runtime/service.js';
import type { Change } from '../../src/domain/changes.js';
import { AfterCommit } from '../../src/rest/after-commit.js';

describe('AfterCommit', () => {
  const scheduled: string[] = [];
  const analysed: string[] = [];
  const scheduler: AnalysisScheduler = {
    schedule: (id) => void scheduled.push(id),
    analyze: (id) => {
      analysed.push(id);
      return Promise.reject(new Error('not in this test'));
    },
  };
  const published: Change[] = [];

  it('holds changes and scheduled analyses until flush, then makes them in order', () => {
    const after = new AfterCommit({ publish: (c) => void published.push(c) }, scheduler);
    const change: Change = { type: 'event.created', incident_id: 'a', events: [], seq_ranges: [] };
    after.changes.publish(change);
    after.analysis.schedule('a', 'create');
    expect(published).toEqual([]);
    expect(scheduled).toEqual([]);
    after.flush();
    expect(published).toEqual([change]);
    expect(scheduled).toEqual(['a']);
  });

  it('refuses an awaited analysis instead of running it inside the transaction', async () => {
    const after = new AfterCommit({ publish: () => undefined }, scheduler);
    await expect(after.analysis.analyze('b')).rejects.toThrow(/inside an idempotent request's transaction/);
    expect(analysed).toEqual([]);
  });
});
