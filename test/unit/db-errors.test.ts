// Telling "the database is away" (retry later) from "the statement failed" (a bug or bad input).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { failureKind, isDatabaseUnavailable, needsOperator } from '../../src/db/errors.js';
import { AppError } from '../../src/domain/errors.js';

const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('recognises socket errors, connection SQLSTATEs and pg connection messages', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    }
    for (const code of ['08000', '08001', '08003', '08006', '08P01', '57P01', '57P02', '57P03', '53300']) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    }
    // Cancelled by statement_timeout (57014) or lock_timeout (55P03), ended idle in a transaction (25P03):
    // stuck behind a lock or an overloaded server, nothing written (test/integration/statement-timeout.test.ts).
    for (const code of ['57014', '55P03', '25P03']) expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    // Out of resources (53100 disk full gave a 500: operations review, 2026-12-02), system and I/O errors, and the
    // schema gone from under the server.
    for (const code of ['53000', '53100', '53200', '53400', '58000', '58030', '42P01', '3F000', '42501']) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    }
    // Whole classes: operator intervention (57P04 database dropped, 57P05 idle session timeout), the database's
    // system errors (58P01 a file missing) and internal errors (XX000, XX001 data corrupted, XX002 index corrupted;
    // XX000 is also a standby's "cannot assign TransactionIds during recovery"); writes refused by a read-only
    // database (25006: a demoted primary after a failover, default_transaction_read_only, a managed server's full
    // disk; it was a 500), and a snapshot too old (72000).
    // The server's own login refused (28P01 a rotated password, 28000 a role that may no longer log in: 500s, a review
    // of 2026-12-02).
    for (const code of [
      '57000',
      '57P04',
      '57P05',
      '58P01',
      'XX000',
      'XX001',
      'XX002',
      '25006',
      '72000',
      '28000',
      '28P01',
    ]) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    }
    // The boundary: a statement that is wrong, or data that breaks a rule, is not the database being away; nor is
    // a transaction our code let fail (25P02, 25001), though they share the read-only refusal's class.
    for (const code of ['42601', '42703', '23505', '23503', '22P02', '25P02', '25001']) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(false);
    }
    for (const message of [
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
    ]) {
      expect(isDatabaseUnavailable(new Error(message)), message).toBe(true);
    }
  });

  it("recognises every failed connect(2), a Unix socket's ENOENT included (a stopped PostgreSQL removes it)", async () => {
    // The real error pg gives for a socket directory where no PostgreSQL runs (the walkthrough's 500s).
    const empty = mkdtempSync(join(tmpdir(), 'warroom-no-socket-'));
    const client = new pg.Client({ host: empty, port: 5432, user: 'postgres', database: 'x' });
    const err: unknown = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'ENOENT', syscall: 'connect' });
    expect(isDatabaseUnavailable(err)).toBe(true);
    for (const code of ['EACCES', 'EADDRNOTAVAIL', 'ENOTDIR']) {
      expect(isDatabaseUnavailable(Object.assign(withCode(code), { syscall: 'connect' })), code).toBe(true);
    }
    for (const code of ['ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'ECONNABORTED']) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    }
    // The boundary: the same codes from anything but connect are not the database (a missing file is a bug).
    expect(isDatabaseUnavailable(Object.assign(withCode('ENOENT'), { syscall: 'open' }))).toBe(false);
    expect(isDatabaseUnavailable(withCode('ENOENT'))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(withCode('23505'), { syscall: 'connect' }))).toBe(false);
  });

  it('looks inside an AggregateError and a cause', () => {
    const refused = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], '');
    expect(isDatabaseUnavailable(refused)).toBe(true);
    expect(isDatabaseUnavailable(new Error('query failed', { cause: withCode('57P01') }))).toBe(true);
  });

  it('leaves every other error alone', () => {
    for (const code of ['23503', '23505', '22021', '42601', '55000', '25P02', 'ERR_INVALID_ARG_TYPE']) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(false);
    }
    expect(isDatabaseUnavailable(new Error('insert returned no row'))).toBe(false);
    for (const v of [undefined, null, 'ECONNREFUSED', 42, {}]) expect(isDatabaseUnavailable(v)).toBe(false);
    // A cycle of causes ends.
    const a: Error & { cause?: unknown } = new Error('a');
    a.cause = a;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});

describe('failureKind', () => {
  it('names the first SQLSTATE or system code in an error or its causes, else its class', () => {
    expect(failureKind(withCode('53100'))).toBe('53100');
    expect(failureKind(new Error('wrapped', { cause: withCode('ECONNREFUSED') }))).toBe('ECONNREFUSED');
    expect(failureKind(new TypeError('x'))).toBe('TypeError');
    expect(failureKind('text')).toBe('other');
  });

  it("prefers the innermost code to a wrapper's own (the analysis thread's AppError UNAVAILABLE carries the SQLSTATE)", () => {
    const fromThread = new AppError('UNAVAILABLE', 'permission denied for table events', undefined, {
      cause: withCode('42501'),
    });
    expect(failureKind(fromThread)).toBe('42501');
    expect(needsOperator(fromThread)).toBe(true);
    expect(failureKind(new AppError('UNAVAILABLE', 'x', undefined, { cause: withCode('57014') }))).toBe('57014');
    expect(needsOperator(new AppError('UNAVAILABLE', 'x', undefined, { cause: withCode('57014') }))).toBe(false);
    expect(failureKind(new AppError('UNAVAILABLE', 'x'))).toBe('UNAVAILABLE');
  });
});

describe('needsOperator', () => {
  it('picks out the 503s that will not pass by themselves, through causes', () => {
    for (const code of ['42P01', '3F000', '3D000', '57P04', '42501', '28P01', '25006', '53100', '58P01', 'XX001']) {
      expect(needsOperator(withCode(code)), code).toBe(true);
      expect(needsOperator(new Error('wrapped', { cause: withCode(code) })), code).toBe(true);
    }
    for (const code of ['57P01', '53300', '57014', '40001', 'ECONNREFUSED', '42601', 'TypeError'])
      expect(needsOperator(withCode(code)), code).toBe(false);
  });
});
