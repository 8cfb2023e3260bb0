// The client-side statement deadline (src/db/query-deadline.ts); its effect on a real frozen database is
// test/integration/database-frozen.test.ts.
import { describe, expect, it } from 'vitest';
import { QUERY_DEADLINE_MESSAGE, queryDeadlineMs, withDeadline } from '../../src/db/query-deadline.js';

describe('queryDeadlineMs', () => {
  it('is the statement timeout plus the grace, none without one, and never past what a Node timer takes', () => {
    expect(queryDeadlineMs(0)).toBe(0);
    expect(queryDeadlineMs(500)).toBe(2_500);
    // DB_STATEMENT_TIMEOUT_MS at its largest: a timer over 2^31 - 1 ms fires after 1 ms (review, 2026-12-02).
    expect(queryDeadlineMs(2_147_483_647)).toBe(2_147_483_647);
    expect(queryDeadlineMs(2_147_483_000)).toBe(2_147_483_647);
  });
});

describe('withDeadline', () => {
  it('abandons a statement past its deadline and fails it with the deadline error, its own as the cause', async () => {
    let abandoned = 0;
    let fail: (err: Error) => void = () => undefined;
    const run = new Promise<never>((_, reject) => (fail = reject));
    const result = withDeadline(run, 20, () => {
      abandoned++;
      fail(new Error('Connection terminated'));
    });
    await expect(result).rejects.toThrow(QUERY_DEADLINE_MESSAGE);
    await expect(result).rejects.toMatchObject({ cause: { message: 'Connection terminated' } });
    expect(abandoned).toBe(1);
  });

  it('leaves a statement that settles in time, and its own error, as they are', async () => {
    let abandoned = 0;
    expect(await withDeadline(Promise.resolve(7), 1_000, () => abandoned++)).toBe(7);
    await expect(withDeadline(Promise.reject(new Error('23505')), 1_000, () => abandoned++)).rejects.toThrow('23505');
    expect(await withDeadline(Promise.resolve(1), 0, () => abandoned++)).toBe(1);
    await new Promise((r) => setTimeout(r, 30));
    expect(abandoned).toBe(0);
  });
});
