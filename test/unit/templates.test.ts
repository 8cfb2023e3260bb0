// Log template mining: masking rules, miner behaviour, the streaming CLI, and a grouping-accuracy floor on Loghub-2k.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DATASETS, type DatasetName, groupingAccuracy, loadDataset, parseCsv } from '../../bench/loghub.js';
import { runTemplatesCli } from '../../src/analysis/templates/cli.js';
import { TemplateMiner } from '../../src/analysis/templates/drain.js';
import { maskMessage, maskToken } from '../../src/analysis/templates/masking.js';

const W = '<*>';

describe('masking', () => {
  it('masks numbers, including signed, decimal and unit-suffixed ones', () => {
    expect(maskMessage('retry 3 of 5 after -12 and 0.75')).toEqual(['retry', W, 'of', W, 'after', W, 'and', W]);
    expect(maskMessage('wrote 4KB in 1.5MB/s')).toEqual(['wrote', W, 'in', W]);
  });

  it('masks hex values, with or without 0x, but not short a–f words', () => {
    expect(maskToken('0x7f3a')).toBe(W);
    expect(maskToken('3fa9c0e1')).toBe(W);
    expect(maskToken('deadbeefcafe')).toBe(W);
    expect(maskToken('added')).toBe('added');
    expect(maskToken('decade')).toBe('decade');
  });

  it('masks IPv4 and IPv6 addresses, with ports', () => {
    expect(maskToken('10.250.19.102')).toBe(W);
    expect(maskToken('/10.250.19.102:50010')).toBe(W);
    expect(maskToken('[173.234.31.186]')).toBe(W);
    expect(maskToken('fe80::1ff:fe23:4567:890a')).toBe(W);
  });

  it('masks UUIDs and digit-bearing identifiers', () => {
    expect(maskToken('123e4567-e89b-12d3-a456-426614174000')).toBe(W);
    expect(maskToken('blk_-1608999687919862906')).toBe(W);
    expect(maskToken('container_1445144423722_0020_01_000001')).toBe(W);
  });

  it('masks paths and URLs but not lone slashes or words with slashes inside', () => {
    expect(maskToken('/var/log/syslog')).toBe(W);
    expect(maskToken('./run.sh')).toBe(W);
    expect(maskToken('~/notes')).toBe(W);
    expect(maskToken('C:\\Windows\\System')).toBe(W);
    expect(maskToken('https://example.com/a?b=c')).toBe(W);
    expect(maskToken('/')).toBe('/');
    expect(maskToken('and/or')).toBe('and/or');
  });

  it('masks durations and timestamps', () => {
    expect(maskMessage('took 250ms then 1.5s then 2h30m')).toEqual(['took', W, 'then', W, 'then', W]);
    expect(maskMessage('at 2024-03-01T12:00:00Z')).toEqual(['at', W]);
  });

  it('collapses quoted values, even multi-word ones, into one token', () => {
    expect(maskMessage("user 'bob smith' not found")).toEqual(['user', W, 'not', 'found']);
    expect(maskMessage('opened "my file.txt", ok')).toEqual(['opened', `${W},`, 'ok']);
    expect(maskMessage('reason="disk full" code=7')).toEqual(['reason=<*>', 'code=<*>']);
    // Apostrophes inside words are not quotes.
    expect(maskMessage("can't find child 7 in scoreboard")).toEqual(["can't", 'find', 'child', W, 'in', 'scoreboard']);
  });

  it('keeps keys and labels but masks their values', () => {
    expect(maskToken('uid=0')).toBe('uid=<*>');
    expect(maskToken('user=root')).toBe('user=<*>');
    expect(maskToken('(uid=0)')).toBe('(uid=<*>)');
    expect(maskToken('count=3,')).toBe('count=<*>,');
    expect(maskToken('logname=')).toBe('logname=');
    expect(maskToken('r24=0x0ffea4c8')).toBe(W);
    expect(maskToken('lr:00004ed0')).toBe('lr:<*>');
    expect(maskToken('Error:KeeperErrorCode')).toBe('Error:KeeperErrorCode');
  });

  it('leaves ordinary words and punctuation alone', () => {
    expect(maskMessage('Connection reset by peer [preauth]')).toEqual([
      'Connection',
      'reset',
      'by',
      'peer',
      '[preauth]',
    ]);
  });

  it('collapses runs of same-shaped values (lists) but not neighbouring different values', () => {
    expect(maskMessage('delete blk_1 blk_-2 blk_3')).toEqual(['delete', W]);
    expect(maskMessage('speeds ( 3552 3534 3375 ) ok')).toEqual(['speeds', '(', W, ')', 'ok']);
    expect(maskMessage('from 52.80.34.196: 11: Bye')).toEqual(['from', W, W, 'Bye']);
  });

  it('splits on any whitespace run', () => {
    expect(maskMessage('  a\tb  \r c ')).toEqual(['a', 'b', 'c']);
    expect(maskMessage('')).toEqual([]);
  });
});

describe('TemplateMiner', () => {
  it('groups same-shaped lines under one id with values masked', () => {
    const miner = new TemplateMiner();
    const a = miner.add('Connection from 10.0.0.1 closed after 12 ms');
    const b = miner.add('Connection from 192.168.7.44 closed after 3051 ms');
    expect(a.id).toBe('T1');
    expect(b.id).toBe('T1');
    expect(b.template).toBe('Connection from <*> closed after <*> ms');
    expect(b.count).toBe(2);
  });

  it('keeps different lines apart', () => {
    const miner = new TemplateMiner();
    const a = miner.add('Connection from 10.0.0.1 closed');
    const b = miner.add('Disk /dev/sda1 is almost full');
    const c = miner.add('Connection from 10.0.0.2 refused');
    const d = miner.add('Connection pool exhausted, waiting');
    expect(new Set([a.id, b.id, c.id, d.id]).size).toBe(4);
    expect(miner.templates().map((t) => t.id)).toEqual(['T1', 'T2', 'T3', 'T4']);
  });

  it('turns positions where otherwise similar lines differ into <*>', () => {
    const miner = new TemplateMiner();
    const first = miner.add('Worker pool resized for tenant acme');
    expect(first.template).toBe('Worker pool resized for tenant acme');
    const second = miner.add('Worker pool resized for tenant globex');
    expect(second.id).toBe(first.id);
    expect(second.template).toBe('Worker pool resized for tenant <*>');
  });

  it('never groups lines of different token counts', () => {
    const miner = new TemplateMiner();
    const a = miner.add('cache warmed for region eu');
    const b = miner.add('cache warmed for region eu west');
    expect(a.id).not.toBe(b.id);
  });

  it('lets a generalised template accept any instance, even below the similarity threshold', () => {
    const miner = new TemplateMiner();
    const general = miner.add('Registering class v2.Foo for class v2.Bar');
    expect(general.template).toBe('Registering class <*> for class <*>');
    // Only 3 of 5 tokens are equal (0.6 < 0.7), but every constant of the template is in place.
    const instance = miner.add('Registering class Foo for class Bar');
    expect(instance.id).toBe(general.id);
    expect(instance.template).toBe('Registering class <*> for class <*>');
  });

  it('folds a cluster founded with a value baked in into a later, more general one', () => {
    const miner = new TemplateMiner();
    const early = miner.add('Registering class Foo for class Bar');
    const general = miner.add('Registering class v2.Foo for class v2.Bar');
    expect(general.id).not.toBe(early.id);
    expect(general.template).toBe('Registering class <*> for class <*>');
    expect(general.count).toBe(2);
    expect(miner.resolve(early.id)).toBe(general.id);
    expect(miner.get(early.id)?.template).toBe('Registering class <*> for class <*>');
    expect(miner.templates()).toEqual([{ id: general.id, template: general.template, count: 2 }]);
  });

  it('match() finds the cluster without learning', () => {
    const miner = new TemplateMiner();
    miner.add('User 17 logged out');
    expect(miner.match('User 42 logged out')?.id).toBe('T1');
    expect(miner.match('Something else entirely')).toBeUndefined();
    expect(miner.templates()).toEqual([{ id: 'T1', template: 'User <*> logged out', count: 1 }]);
  });

  it('is deterministic for the same input order', () => {
    const lines = ['a 1 b', 'a 2 b', 'x y z', 'a 3 c', 'x y w'];
    const run = () => {
      const m = new TemplateMiner();
      return lines.map((l) => m.add(l));
    };
    expect(run()).toEqual(run());
  });
});

/** Collects everything written to it, as a string. */
class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('runTemplatesCli', () => {
  it('prints one JSON row per input line, with the template as it stood at that line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-templates-'));
    try {
      const file = join(dir, 'app.log');
      await writeFile(
        file,
        [
          'Worker pool resized for tenant acme',
          'Worker pool resized for tenant globex',
          '',
          'Connection from 10.0.0.1 closed\r',
          'Connection from 10.0.0.2 closed',
        ].join('\n'),
      );
      const sink = new Sink();
      await runTemplatesCli(file, sink);
      const rows = sink.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown);
      expect(rows).toEqual([
        { line: 1, template_id: 'T1', template: 'Worker pool resized for tenant acme' },
        { line: 2, template_id: 'T1', template: 'Worker pool resized for tenant <*>' },
        { line: 3, template_id: 'T2', template: '' },
        { line: 4, template_id: 'T3', template: 'Connection from <*> closed' },
        { line: 5, template_id: 'T3', template: 'Connection from <*> closed' },
      ]);
      // Field order is part of the format.
      expect(sink.text.split('\n')[0]).toBe(
        '{"line":1,"template_id":"T1","template":"Worker pool resized for tenant acme"}',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects when the file cannot be read', async () => {
    await expect(runTemplatesCli(join(tmpdir(), 'warroom-no-such-file.log'), new Sink())).rejects.toThrow(/ENOENT/);
  });
});

describe('Loghub fixture helpers', () => {
  it('parses quoted CSV fields with commas, doubled quotes, newlines and CRLF', () => {
    expect(parseCsv('a,"b,c","say ""hi"""\r\n1,"x\ny",\n')).toEqual([
      ['a', 'b,c', 'say "hi"'],
      ['1', 'x\ny', ''],
    ]);
    expect(parseCsv('last,row')).toEqual([['last', 'row']]);
  });

  it('scores a line as correct only when its predicted group equals its true group', () => {
    // Group P1 is exactly event A; P2 mixes B and C, so those three lines are wrong.
    expect(groupingAccuracy(['P1', 'P1', 'P2', 'P2', 'P2'], ['A', 'A', 'B', 'B', 'C'])).toBe(0.4);
    // Splitting an event is wrong too.
    expect(groupingAccuracy(['P1', 'P2', 'P3'], ['A', 'A', 'B'])).toBeCloseTo(1 / 3);
  });
});

/**
 * Regression floors: a couple of points under what the default configuration
 * scores (bench/templates.ts prints the current numbers). Drain's published
 * average on these datasets is 0.934.
 */
const GA_FLOOR: Readonly<Record<DatasetName, number>> = {
  HDFS: 0.98,
  Hadoop: 0.975,
  Spark: 0.9,
  Zookeeper: 0.97,
  BGL: 0.965,
  HPC: 0.93,
  Apache: 0.98,
  OpenSSH: 0.975,
};

const gaCache = new Map<DatasetName, number>();

/** GA of a fresh default miner over one dataset, grouping lines by their final (resolved) cluster id. */
function datasetGa(name: DatasetName): number {
  const cached = gaCache.get(name);
  if (cached !== undefined) return cached;
  const lines = loadDataset(name);
  const miner = new TemplateMiner();
  const ids = lines.map((l) => miner.add(l.content).id);
  const ga = groupingAccuracy(
    ids.map((id) => miner.resolve(id)),
    lines.map((l) => l.eventId),
  );
  gaCache.set(name, ga);
  return ga;
}

describe('grouping accuracy on Loghub-2k', () => {
  it('loads 2000 labelled lines per dataset', () => {
    for (const name of DATASETS) expect(loadDataset(name)).toHaveLength(2000);
  });

  for (const name of DATASETS) {
    it(`${name} stays at or above ${GA_FLOOR[name]}`, () => {
      expect(datasetGa(name)).toBeGreaterThanOrEqual(GA_FLOOR[name]);
    });
  }

  it("averages at least Drain's published 0.934", () => {
    const sum = DATASETS.reduce((acc, name) => acc + datasetGa(name), 0);
    expect(sum / DATASETS.length).toBeGreaterThanOrEqual(0.934);
  });
});
