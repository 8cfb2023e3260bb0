// How a refused request is logged (src/http/errors.ts logRefusedRequest): by what refused it. A 503 of our own (a
// subscriber too far behind) was logged as "the database is unavailable" once tRPC refusals went through the same
// rule (a review, 2026-12-02), sending an operator to look at a healthy database.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { logRefusedRequest } from '../../src/http/errors.js';
import { captureLogs } from '../integration/log-capture.js';

const withCode = (code: string): Error => Object.assign(new Error(`failure ${code}`), { code });

describe('logRefusedRequest', () => {
  it("names what refused: our own 503 as itself, the database's as the database's, at the level it needs", () => {
    const { logger, lines } = captureLogs('warn');
    logRefusedRequest(logger, new AppError('UNAVAILABLE', 'this subscriber fell more than 8 MiB behind'), {});
    logRefusedRequest(logger, withCode('57P01'), { path: 'incidents.create' });
    logRefusedRequest(logger, withCode('25006'), {});
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'request refused: this subscriber fell more than 8 MiB behind'],
      [40, 'request refused: the database is unavailable'],
      [50, expect.stringMatching(/until an operator acts/)],
    ]);
    expect(lines[1]).toMatchObject({ kind: '57P01', path: 'incidents.create' });
    expect(lines[2]).toMatchObject({ kind: '25006' });
  });
});
