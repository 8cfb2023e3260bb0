// The `warroom` command as a user runs it: serve answers, SIGTERM stops it cleanly, a bad config says why.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, spawnWarroom } from './process.js';

function run(args: string[], env: Record<string, string>) {
  return spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('warroom CLI', () => {
  it('serves on the embedded database in DATA_DIR, then shuts down on SIGTERM with exit 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-cli-'));
    try {
      const w = await spawnWarroom({ DATA_DIR: dir, DATABASE_URL: '' });
      expect(w.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await w.api('/api/incidents/', { json: { title: 'from the CLI test' } });
      expect(res.status).toBe(201);
      expect(await w.stop()).toBe(0);
      // The embedded database persisted in DATA_DIR: a second run sees the incident.
      const again = await spawnWarroom({ DATA_DIR: dir, DATABASE_URL: '' });
      const list = (await (await again.api('/api/incidents/')).json()) as { title: string }[];
      expect(list.map((i) => i.title)).toContain('from the CLI test');
      expect(await again.stop()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('`npm start` stops with the server: SIGTERM to npm (what a supervisor sends) reaches it, no orphan keeps serving', async () => {
    // npm runs the script through `sh -c` and forwards SIGTERM to that shell; without `exec`, the shell died and
    // node, its child, kept serving with no parent and the DATA_DIR lock held.
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: join(BIN, '..', '..'),
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory', DATABASE_URL: '', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(npm, 'exit');
    let url = '';
    let log = '';
    npm.stdout.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      npm.stdout.on('data', (chunk: string) => {
        log += chunk;
        url ||= /"url":"(http:[^"]+)".*"msg":"warroom listening"/.exec(log)?.[1] ?? '';
        if (url) resolve();
      });
      npm.once('exit', () => reject(new Error(`npm start exited before listening: ${log}`)));
    });
    expect((await fetch(`${url}/health`)).status).toBe(200);
    npm.kill('SIGTERM');
    await exited;
    await expect.poll(() => log, { timeout: 15_000 }).toContain('"msg":"warroom stopped"');
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  }, 60_000);

  it('refuses a bad configuration with a message and exit 1, no stack trace', async () => {
    const child = run(['serve'], { PORT: 'not-a-port', DATA_DIR: 'memory' });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toContain('PORT');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  async function failsWithOneLine(env: Record<string, string>, expected: RegExp): Promise<void> {
    const child = run(['serve'], { LOG_LEVEL: 'silent', ...env });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(expected);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  }

  it('every command says in one line that the database is unreachable or missing, no stack trace', async () => {
    // The report (an outage drill): `keys list` and `keys create` printed a stack trace for a stopped PostgreSQL,
    // where `serve` printed one line.
    const unreachable = 'postgres://postgres@127.0.0.1:1/warroom';
    for (const args of [
      ['keys', 'list'],
      ['keys', 'create', '--name', 'x', '--scopes', 'read'],
      ['migrate'],
      ['serve'],
    ]) {
      // DB_STARTUP_WAIT_MS=0: give up at the first refusal (the wait is the next test's).
      const child = run(args, { DATABASE_URL: unreachable, LOG_LEVEL: 'silent', DB_STARTUP_WAIT_MS: '0' });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code, args.join(' ')).toBe(1);
      expect(stderr.trim(), args.join(' ')).toMatch(
        /^warroom: cannot prepare the database \(DATABASE_URL\): .*ECONNREFUSED/,
      );
      expect(stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('says on stderr while it waits for an unreachable database (DB_STARTUP_WAIT_MS), then gives up in one line', async () => {
    const child = run(['migrate'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/warroom',
      DB_STARTUP_WAIT_MS: '2000',
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    // Attempts at 0, 0.5 and 1.5 s; the next pause (2 s) would pass 2 s.
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^the database is not reachable yet \(attempt 1: .*ECONNREFUSED.*\); trying again in 0.5 s$/,
    );
    expect(lines[1]).toMatch(/^the database is not reachable yet \(attempt 2: .*\); trying again in 1 s$/);
    expect(lines[2]).toMatch(/^warroom: cannot prepare the database \(DATABASE_URL\): .*ECONNREFUSED/);
  });

  it('exits 1 with one clear line when the port is taken (not an unhandled error event)', async () => {
    const w = await spawnWarroom({ DATA_DIR: 'memory', DATABASE_URL: '' });
    try {
      const port = new URL(w.url).port;
      await failsWithOneLine(
        { PORT: port, DATA_DIR: 'memory', DATABASE_URL: '' },
        /^warroom: cannot listen on [^ ]+:\d+ \(EADDRINUSE\); is another server using the port\?$/,
      );
    } finally {
      await w.stop();
    }
    // An address this machine does not have (TEST-NET-1, RFC 5737) is named as such, not as a taken port.
    await failsWithOneLine(
      { HOST: '192.0.2.1', AUTH: 'off', DATA_DIR: 'memory', DATABASE_URL: '' },
      /^warroom: cannot listen on 192\.0\.2\.1:\d+ \(EADDRNOTAVAIL\); HOST 192\.0\.2\.1 is not an address of this machine$/,
    );
    // Two processes, each starting its own embedded PostgreSQL: seconds apiece on a loaded machine.
  }, 90_000);

  it('exits 1 with one clear line when DATA_DIR cannot hold the embedded database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-cli-'));
    try {
      const file = join(dir, 'not-a-directory');
      await writeFile(file, 'x');
      await failsWithOneLine(
        { DATA_DIR: file, DATABASE_URL: '' },
        /^warroom: cannot open the embedded database in .*not-a-directory \(DATA_DIR\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a second process on the DATA_DIR of a running server uses its database: a key made beside it is enforced', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-cli-'));
    const w = await spawnWarroom({ DATA_DIR: dir, DATABASE_URL: '' });
    try {
      expect((await w.api('/api/incidents/')).status).toBe(200);
      const made = await cli(['keys', 'create', '--name', 'beside', '--scopes', 'admin'], {
        DATA_DIR: dir,
        DATABASE_URL: '',
      });
      expect(made.code, made.stderr).toBe(0);
      const key = /wr_[A-Za-z0-9_-]+/.exec(made.stdout)?.[0] ?? '';
      expect(key).not.toBe('');
      // The running server enforces keys once one exists (AUTH=auto), from its next check of the key table...
      const deadline = Date.now() + 10_000;
      while ((await w.api('/api/incidents/')).status !== 401 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect((await w.api('/api/incidents/')).status).toBe(401);
      expect((await w.api('/api/incidents/', { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      // ...and the second process stopped nothing: the server still answers after the CLI exited.
      expect((await w.api('/health')).status).toBe(200);
    } finally {
      expect(await w.stop()).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('a command finds the running server of a DATA_DIR too deep for a socket path (its socket is in the temp dir)', async () => {
    const base = await mkdtemp(join(tmpdir(), 'warroom-cli-'));
    // mkdtemp makes it 0700: as root, the embedded server's own account must be able to pass through it.
    await chmod(base, 0o755);
    // Deeper than the 100 bytes a socket path may have here: the server puts its socket under the temp dir instead.
    const dir = join(base, 'a-data-directory-nested-'.repeat(4));
    expect(join(dir, 'run', '.s.PGSQL.5432').length).toBeGreaterThan(107);
    const w = await spawnWarroom({ DATA_DIR: dir, DATABASE_URL: '' });
    try {
      const made = await cli(['keys', 'create', '--name', 'deep', '--scopes', 'read'], {
        DATA_DIR: dir,
        DATABASE_URL: '',
      });
      expect(made.code, made.stderr).toBe(0);
      const listed = await cli(['keys', 'list'], { DATA_DIR: dir, DATABASE_URL: '' });
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain('deep');
      expect((await w.api('/health')).status).toBe(200);
    } finally {
      expect(await w.stop()).toBe(0);
      await rm(base, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses a second server on the DATA_DIR of a running one with one line (its database would stop with the first)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-cli-'));
    const w = await spawnWarroom({ DATA_DIR: dir, DATABASE_URL: '' });
    try {
      await failsWithOneLine(
        { DATA_DIR: dir, DATABASE_URL: '' },
        /^warroom: DATA_DIR .* is in use by process \d+ \(a running warroom\): another server needs its own DATA_DIR/,
      );
      expect((await w.api('/health')).status).toBe(200);
    } finally {
      expect(await w.stop()).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('checks openapi.json against the code', async () => {
    const child = run(['openapi', '--check'], {});
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(stdout).toContain('matches');
    expect(code).toBe(0);
  });

  /** Runs the CLI to its end: exit code, stdout and stderr. */
  async function cli(args: string[], env: Record<string, string>) {
    const child = run(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  }

  it('beyond loopback with no key refuses to start and prints the command; keys create|list|revoke then let it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-keys-'));
    const env = { DATA_DIR: dir, DATABASE_URL: '', LOG_LEVEL: 'silent' };
    try {
      const refused = await cli(['serve'], { ...env, HOST: '0.0.0.0', PORT: '0' });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('npx warroom keys create --name admin --scopes admin');
      expect(refused.stderr).not.toMatch(/\n\s+at /);

      const created = await cli(
        ['keys', 'create', '--name', 'ops', '--scopes', 'read,write', '--expires-in', '90d'],
        env,
      );
      expect(created.code).toBe(0);
      const key = created.stdout.trim();
      expect(key).toMatch(/^wr_[A-Za-z0-9_-]{43}$/);
      const taken = await cli(['keys', 'create', '--name', 'ops', '--scopes', 'read'], env);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain('already exists');
      const badScope = await cli(['keys', 'create', '--name', 'x', '--scopes', 'root'], env);
      expect(badScope.code).toBe(1);
      expect(badScope.stderr).toContain('--scopes');
      // Named as the flag is typed (it said --expires_in), with the range it takes.
      for (const bad of ['90x', '0d', '3650000d']) {
        const badExpiry = await cli(['keys', 'create', '--name', 'x', '--scopes', 'read', '--expires-in', bad], env);
        expect(badExpiry.code).toBe(1);
        expect(badExpiry.stderr).toContain('--expires-in: must be 1 to 999999 followed by d, h or m');
      }

      const listed = await cli(['keys', 'list'], env);
      expect(listed.stdout).toContain('ops');
      // The 12 characters after `wr_`, as the API's `prefix` and the access log's `key_prefix` show them.
      expect(listed.stdout).toMatch(new RegExp(`^ops +${key.slice(3, 15)} `, 'm'));
      expect(listed.stdout).not.toContain(key);

      const w = await spawnWarroom({ ...env, LOG_LEVEL: 'info', HOST: '0.0.0.0' });
      try {
        expect((await w.api('/api/incidents/')).status).toBe(401);
        expect((await w.api('/api/incidents/', { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      } finally {
        expect(await w.stop()).toBe(0);
      }
      const revoked = await cli(['keys', 'revoke', 'ops'], env);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain('revoked key ops');
      expect((await cli(['keys', 'list'], env)).stdout).toMatch(/ops .* \d{4}-\d\d-\d\dT\S+Z\s*$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Seven processes, each opening the embedded database.
  }, 180_000);

  it('integrations create|list|update|show|rotate-secret|delete on DATA_DIR; the secret is shown once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-integrations-'));
    const env = { DATA_DIR: dir, DATABASE_URL: '', LOG_LEVEL: 'silent' };
    const SECRET = /^whk_[A-Za-z0-9_-]{43}$/;
    try {
      const created = await cli(['integrations', 'create', '--name', 'prod-am', '--kind', 'alertmanager'], env);
      expect(created.code).toBe(0);
      const secret = created.stdout.trim();
      expect(secret).toMatch(SECRET);
      const output = created.stdout + created.stderr;
      expect(output.split(secret)).toHaveLength(2);
      expect(created.stderr).toContain('shown only this once');
      const id = /id ([0-9a-f-]{36})/.exec(created.stderr)?.[1] ?? '';
      expect(created.stderr).toContain(`/api/integrations/${id}/alerts`);

      const listed = await cli(['integrations', 'list'], env);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^ID\s+NAME\s+KIND\s+WEBHOOK\s+CREATED$/m);
      expect(listed.stdout).toMatch(
        new RegExp(`^${id}\\s+prod-am\\s+alertmanager\\s+/api/integrations/${id}/alerts\\s`, 'm'),
      );
      expect(listed.stdout + listed.stderr).not.toContain(secret);
      expect(listed.stdout).not.toContain('whk_');

      const updated = await cli(['integrations', 'update', id, '--settings', '{"min_alerts":2}'], env);
      expect(updated.code).toBe(0);
      const shown = await cli(['integrations', 'show', id], env);
      expect(shown.code).toBe(0);
      const integration = JSON.parse(shown.stdout) as { name: string; settings: { min_alerts: number } };
      expect(integration.name).toBe('prod-am');
      expect(integration.settings.min_alerts).toBe(2);
      expect(shown.stdout).not.toContain('whk_');

      const rotated = await cli(['integrations', 'rotate-secret', id], env);
      expect(rotated.code).toBe(0);
      const fresh = rotated.stdout.trim();
      expect(fresh).toMatch(SECRET);
      expect(fresh).not.toBe(secret);

      const badJson = await cli(['integrations', 'update', id, '--settings', '{min_alerts: 2}'], env);
      expect(badJson.code).toBe(1);
      expect(badJson.stderr.trim()).toMatch(/^warroom: --settings: not valid JSON/);
      expect(badJson.stderr.trim().split('\n')).toHaveLength(1);
      // A setting the merged settings refuse (walkthrough: a stack trace) is one line naming it.
      const typo = await cli(['integrations', 'update', id, '--settings', '{"setings": 1}'], env);
      expect(typo.code).toBe(1);
      expect(typo.stderr.trim()).toBe('warroom: invalid input: settings.setings: unknown field');
      const createTypo = await cli(
        ['integrations', 'create', '--name', 'y', '--kind', 'generic', '--settings', '{"zz": 1}'],
        env,
      );
      expect(createTypo.code).toBe(1);
      expect(createTypo.stderr).toContain('--settings: zz: unknown field');
      expect(typo.stderr.trim().split('\n')).toHaveLength(1);

      const deleted = await cli(['integrations', 'delete', id], env);
      expect(deleted.code).toBe(0);
      expect(deleted.stdout).toContain('deleted integration prod-am');
      const gone = await cli(['integrations', 'show', id], env);
      expect(gone.code).not.toBe(0);
      expect(gone.stderr.trim()).toBe(`warroom: integration ${id} not found`);
      expect(gone.stderr.trim().split('\n')).toHaveLength(1);

      const badKind = await cli(['integrations', 'create', '--name', 'x', '--kind', 'nagios'], env);
      expect(badKind.code).toBe(1);
      expect(badKind.stderr).toContain('--kind');
      expect(badKind.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Nine processes, each opening the embedded database.
  }, 180_000);

  it('goes on after an unhandled rejection whose reason is not an Error, and logs the reason', async () => {
    // A preload that rejects with a plain string and with null when told to (SIGUSR2, main thread only: the
    // analysis thread loads it too). The logger's error serializer once threw on such a reason, from inside the
    // last-resort handler, and the process died as if the invariant were broken.
    const dir = await mkdtemp(join(tmpdir(), 'warroom-reject-'));
    const preload = join(dir, 'reject.mjs');
    await writeFile(
      preload,
      "import { isMainThread } from 'node:worker_threads';\n" +
        "if (isMainThread) process.on('SIGUSR2', () => { void Promise.reject('a plain string reason'); void Promise.reject(null); });\n",
    );
    const w = await spawnWarroom({ DATA_DIR: 'memory', DATABASE_URL: '', NODE_OPTIONS: `--import ${preload}` });
    try {
      const lines: string[] = [];
      w.child.stdout?.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n')));
      w.child.kill('SIGUSR2');
      const logged = () =>
        lines
          .filter((l) => l.includes('unhandled promise rejection'))
          .map((l) => (JSON.parse(l) as { err: unknown }).err);
      for (let i = 0; i < 100 && logged().length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(logged()).toEqual(['a plain string reason', null]);
      expect((await w.api('/health')).status).toBe(200);
      expect(w.child.exitCode).toBeNull();
      expect(await w.stop()).toBe(0);
    } finally {
      await w.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
