// Configuration: defaults, and a clear message naming each bad value.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 8000,
      HOST: '127.0.0.1',
      AUTH: 'auto',
      DATA_DIR: './data',
      LOG_LEVEL: 'info',
    });
    expect(loadConfig({}).DATABASE_URL).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });
  it('names every bad value', () => {
    const err = (() => {
      try {
        loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toContain('PORT');
    expect(message).toContain('LOG_LEVEL');
    expect(message).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  });
  it('keeps events forever unless EVENT_RETENTION_DAYS is a whole number of days, at least 1', () => {
    expect(loadConfig({}).EVENT_RETENTION_DAYS).toBeUndefined();
    expect(loadConfig({ EVENT_RETENTION_DAYS: '' }).EVENT_RETENTION_DAYS).toBeUndefined();
    expect(loadConfig({ EVENT_RETENTION_DAYS: '30' }).EVENT_RETENTION_DAYS).toBe(30);
    for (const bad of ['0', '-3', '1.5', 'a month']) {
      expect(() => loadConfig({ EVENT_RETENTION_DAYS: bad })).toThrow(/EVENT_RETENTION_DAYS/);
    }
  });
  it('caps heap growth at 50% unless HEAP_GROWING_PERCENT says otherwise (0: V8 decides)', () => {
    expect(loadConfig({}).HEAP_GROWING_PERCENT).toBe(50);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).HEAP_GROWING_PERCENT).toBe(0);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '30' }).HEAP_GROWING_PERCENT).toBe(30);
    for (const bad of ['-1', '12.5', 'lots', '101']) {
      expect(() => loadConfig({ HEAP_GROWING_PERCENT: bad })).toThrow(/HEAP_GROWING_PERCENT/);
    }
  });
  it('runs the hot statements prepared unless DB_PREPARED_STATEMENTS is off', () => {
    expect(loadConfig({}).DB_PREPARED_STATEMENTS).toBe('on');
    expect(loadConfig({ DB_PREPARED_STATEMENTS: ' ' }).DB_PREPARED_STATEMENTS).toBe('on');
    expect(loadConfig({ DB_PREPARED_STATEMENTS: 'off' }).DB_PREPARED_STATEMENTS).toBe('off');
    for (const bad of ['false', '0', 'ON']) {
      expect(() => loadConfig({ DB_PREPARED_STATEMENTS: bad })).toThrow(/DB_PREPARED_STATEMENTS/);
    }
  });
  it('takes an http(s) LLM_BASE_URL only (ftp:// started "LLM refinement on" and failed every analysis)', () => {
    expect(loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:11434' }).LLM_BASE_URL).toBe('http://127.0.0.1:11434');
    expect(loadConfig({ LLM_BASE_URL: 'https://llm.example/v1' }).LLM_BASE_URL).toBe('https://llm.example/v1');
    for (const bad of ['ftp://x', 'file:///etc/passwd', 'notaurl', 'javascript:alert(1)']) {
      expect(() => loadConfig({ LLM_BASE_URL: bad })).toThrow(/LLM_BASE_URL.*http/s);
    }
  });
  it('takes an empty or blank variable as unset, so it gets its default rather than 0 or an error', () => {
    const blank = Object.fromEntries(
      [
        'PORT',
        'HOST',
        'AUTH',
        'RATE_LIMIT_PER_SECOND',
        'INGEST_RATE_LIMIT_PER_SECOND',
        'DB_STATEMENT_TIMEOUT_MS',
        'HEAP_GROWING_PERCENT',
        'LOG_LEVEL',
        'EVENT_RETENTION_DAYS',
      ].map((k, i) => [k, i % 2 ? ' ' : '']),
    );
    expect(loadConfig(blank)).toEqual(loadConfig({}));
    expect(loadConfig({ PORT: '' }).PORT).toBe(8000);
    expect(loadConfig({ RATE_LIMIT_PER_SECOND: '' }).RATE_LIMIT_PER_SECOND).toBe(50);
    expect(loadConfig({ DB_STATEMENT_TIMEOUT_MS: ' ' }).DB_STATEMENT_TIMEOUT_MS).toBe(15_000);
    // Zero is still zero when written.
    expect(loadConfig({ RATE_LIMIT_PER_SECOND: '0' }).RATE_LIMIT_PER_SECOND).toBe(0);
  });
  it('takes numbers only as decimal digits, and names the setting otherwise (z.coerce took hex and exponents)', () => {
    expect(loadConfig({ PORT: ' 8080 ' }).PORT).toBe(8080);
    expect(loadConfig({ RATE_LIMIT_PER_SECOND: '2.5' }).RATE_LIMIT_PER_SECOND).toBe(2.5);
    const bad: Array<[string, string]> = [
      ['PORT', '0x1F90'],
      ['PORT', '8e3'],
      ['PORT', '8000.0'],
      ['PORT', '+8000'],
      ['PORT', 'Infinity'],
      ['PORT', '65536'],
      ['DB_POOL_SIZE', '0b11'],
      ['RATE_LIMIT_PER_SECOND', '1e2'],
      ['RATE_LIMIT_PER_SECOND', '.5'],
      ['RATE_LIMIT_BURST', '1_000'],
      ['MAX_BODY_BYTES', '8MB'],
      ['SHUTDOWN_DRAIN_MS', '-0'],
      ['EVENT_RETENTION_DAYS', '1e1'],
    ];
    for (const [name, value] of bad) {
      expect(() => loadConfig({ [name]: value }), `${name}=${value}`).toThrow(new RegExp(`${name}: `));
    }
    expect(() => loadConfig({ PORT: '0x1F90' })).toThrow('PORT: must be a whole number in decimal digits');
  });
  it("refuses durations Node's timers and PostgreSQL's statement_timeout cannot hold (above 2^31 - 1 ms)", () => {
    for (const name of ['DB_STATEMENT_TIMEOUT_MS', 'LLM_TIMEOUT_MS', 'ANALYSIS_DEBOUNCE_MS']) {
      expect(loadConfig({ [name]: '2147483647' })[name as 'LLM_TIMEOUT_MS']).toBe(2_147_483_647);
      expect(() => loadConfig({ [name]: '2147483648' }), name).toThrow(new RegExp(`${name}: `));
    }
    expect(loadConfig({ EVENT_RETENTION_DAYS: '36500' }).EVENT_RETENTION_DAYS).toBe(36_500);
    expect(() => loadConfig({ EVENT_RETENTION_DAYS: '36501' })).toThrow(/EVENT_RETENTION_DAYS/);
  });
  it('takes HOST trimmed, and an IPv6 address with or without brackets', () => {
    expect(loadConfig({ HOST: ' 127.0.0.1 ' }).HOST).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '[::1]' }).HOST).toBe('::1');
    expect(loadConfig({ HOST: '::1' }).HOST).toBe('::1');
  });
  it('takes CORS_ORIGINS as origins only, as the browser sends them, and names an entry that is not one', () => {
    expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
    expect(
      loadConfig({ CORS_ORIGINS: ' https://Console.Example.com/ , http://localhost:5173,https://a.example:443' })
        .CORS_ORIGINS,
    ).toEqual(['https://console.example.com', 'http://localhost:5173', 'https://a.example']);
    // The walkthrough's '*' and 'example.com' were taken and matched nothing: CORS silently off.
    for (const bad of [
      '*',
      'example.com',
      'localhost:3000',
      'https://*.example.com',
      'https://a.example/app',
      'ftp://a.example',
      'https://u:p@a.example',
      'https://a.example?x=1',
    ]) {
      expect(() => loadConfig({ CORS_ORIGINS: `https://ok.example,${bad}` }), bad).toThrow(
        `CORS_ORIGINS: ${JSON.stringify(bad)} is not an origin`,
      );
    }
  });
});
