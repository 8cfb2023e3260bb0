// The rule migrations/index.ts states: no migration changes a column's type in place. Instances still running the
// previous release hold prepared statements typed for the old column (src/db/named-statements.ts), and some changes
// (timestamp to timestamptz) would make them write converted values without an error to notice.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../migrations/', import.meta.url);
const IN_PLACE_TYPE_CHANGE = /setDataType\s*\(|alter\s+column\s+("[^"]+"|\w+)\s+(set\s+data\s+)?type\b/i;

describe('migrations', () => {
  it('never change a column type in place (add a column, fill it, switch over a release, drop the old one)', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts');
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(new URL(f, dir), 'utf8'), f).not.toMatch(IN_PLACE_TYPE_CHANGE);
  });

  it('the check recognises both forms it forbids', () => {
    expect(".alterColumn('severity', (c) => c.setDataType('text'))").toMatch(IN_PLACE_TYPE_CHANGE);
    expect('alter table incidents alter column "created_at" type timestamptz').toMatch(IN_PLACE_TYPE_CHANGE);
    expect('alter table incidents alter column tags set data type jsonb').toMatch(IN_PLACE_TYPE_CHANGE);
    expect('alter table incidents alter column tags set default').not.toMatch(IN_PLACE_TYPE_CHANGE);
  });
});
