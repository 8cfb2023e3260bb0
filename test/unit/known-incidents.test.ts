// The incidents ingest no longer checks (src/db/events.ts): a bounded set, the oldest forgotten first.
import { describe, expect, it } from 'vitest';
import { KnownIncidents } from '../../src/db/events.js';

describe('KnownIncidents', () => {
  it('remembers ids up to its capacity, forgetting the oldest first', () => {
    const known = new KnownIncidents(3);
    for (const id of ['a', 'b', 'c']) known.add(id);
    known.add('b'); // already there: not moved, not duplicated
    known.add('d');
    expect(['a', 'b', 'c', 'd'].map((id) => known.has(id))).toEqual([false, true, true, true]);
  });
});
