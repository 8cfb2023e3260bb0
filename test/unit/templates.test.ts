// Log template mining: masking rules, the batch miner, stable ids, the `templates` CLI and GA floors on the Loghub fixtures.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  DATASETS,
  type DatasetName,
  groupingAccuracy,
  leaveOneSystemOut,
  loadDataset,
  parseCsv,
} from '../../bench/loghub.js';
import { mineTemplates } from '../../src/analysis/templates/batch.js';
import { runTemplatesCli, splitLines } from '../../src/analysis/templates/cli.js';
import { assignIds, templateId } from '../../src/analysis/templates/ids.js';
import { joinTokens, maskCacheSize, maskMessage } from '../../src/analysis/templates/masking.js';

const W = '<*>';
const tokens = (message: string): string[] => maskMessage(message).tokens;
const text = (message: string): string => joinTokens(maskMessage(message));

describe('masking', () => {
  it('masks numbers, hex, IPs with ports, UUIDs and digit-bearing ids', () => {
    expect(tokens('retry 3 of 5 after -12 and 0.75')).toEqual(['retry', W, 'of', W, 'after', W, 'and', W]);
    expect(tokens('0x7f3a 10.250.19.102:50010 123e4567-e89b-12d3-a456-426614174000')).toEqual([W]);
    expect(tokens('delete blk_-1608999687919862906 now')).toEqual(['delete', W, 'now']);
    expect(tokens('hash deadbeefcafe but added decade')).toEqual(['hash', W, 'but', 'added', 'decade']);
  });

  it('masks paths, URLs and host names but not lone slashes or words with slashes', () => {
    expect(tokens('read /var/log/syslog from https://example.com/a?b=c')).toEqual(['read', W, 'from', W]);
    expect(tokens('lookup ns.example.com ok')).toEqual(['lookup', W, 'ok']);
    expect(tokens('and/or /')).toEqual(['and/or', '/']);
  });

  it('keeps a unit with its number and collapses values spanning several words into one <*>', () => {
    expect(text('close, 1190 bytes (1.16 KB) sent, lifetime 00:02')).toBe('close, <*> sent, lifetime <*>');
    expect(text('close, 0 bytes sent, lifetime <1 sec')).toBe('close, <*> sent, lifetime <*>');
  });

  it('treats month and weekday names next to numbers as part of a date', () => {
    expect(text('connection at Sun Jul 10 03:55:15 2005')).toBe('connection at <*>');
    expect(text('May I help')).toBe('May I help');
  });

  it('leaves short name-like digits to the statistics (ee0, SOCKS5)', () => {
    expect(tokens('via interface ee0 SOCKS5')).toEqual(['via', 'interface', 'ee0', 'SOCKS5']);
  });

  it('splits key=value and masks only value-shaped values', () => {
    expect(text('logname= uid=0 user=root (uid=0)')).toBe('logname= uid=<*> user=root (uid=<*>)');
    expect(tokens('user=root')).toEqual(['user=', 'root']);
  });

  it('keeps quoted spans whole, masking inside them', () => {
    expect(tokens('"GET /v2/servers HTTP/1.1" status: 200')).toEqual(['"GET <*>"', 'status:', W]);
    expect(tokens("user 'bob smith' not found")).toEqual(['user', "'bob smith'", 'not', 'found']);
    expect(tokens('opened "/tmp/a.txt", ok')).toEqual(['opened', W, ',', 'ok']);
    expect(tokens("can't find child 7")).toEqual(["can't", 'find', 'child', W]);
  });

  it('splits on any whitespace run', () => {
    expect(tokens('  a\tb  \r c ')).toEqual(['a', 'b', 'c']);
    expect(tokens('')).toEqual([]);
  });
});

describe('mineTemplates', () => {
  it('groups same-shaped lines under one readable template', () => {
    const r = mineTemplates(['Connection from 10.0.0.1 port 22', 'Connection from 192.168.7.44 port 2222']);
    expect(r.ids[0]).toBe(r.ids[1]);
    expect(r.templates).toEqual([{ id: r.ids[0], template: 'Connection from <*> port <*>', count: 2 }]);
  });

  it('turns a word position that takes many values into <*>', () => {
    const tenants = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka'];
    const r = mineTemplates(tenants.map((t) => `Worker pool resized for tenant ${t}`));
    expect(new Set(r.ids).size).toBe(1);
    expect(r.templates[0]?.template).toBe('Worker pool resized for tenant <*>');
  });

  it('keeps a position that takes a handful of values apart (HTTP methods, states)', () => {
    const lines = Array.from(
      { length: 12 },
      (_, i) => `request ${i % 2 === 0 ? 'GET' : 'POST'} /api/${i} done in ${i} ms`,
    );
    const r = mineTemplates(lines);
    expect(r.templates.map((t) => t.template).sort()).toEqual([
      'request GET <*> done in <*>',
      'request POST <*> done in <*>',
    ]);
  });

  it('joins lines whose variable spans a different number of words', () => {
    const lines = [
      'Started Session 42 of user deploy.',
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((w) => `job ${w} took 0 bytes`),
      'job g took 1190 bytes (1.16 KB)',
    ];
    const r = mineTemplates(lines);
    expect(r.ids[1]).toBe(r.ids[7]);
    expect(r.templates.find((t) => t.id === r.ids[7])?.template).toBe('job <*> took <*>');
  });

  it('gives ids that depend only on the template text, whatever the order', () => {
    const lines = ['a 1 c', 'x y z', 'a 2 c', 'x y z'];
    const one = mineTemplates(lines);
    const two = mineTemplates([...lines].reverse());
    expect(one.ids).toEqual([...two.ids].reverse());
    expect(one.ids[0]).toBe(templateId('a <*> c'));
  });

  it('handles an empty batch and empty lines', () => {
    expect(mineTemplates([])).toEqual({ ids: [], templates: [] });
    expect(mineTemplates(['', '']).templates).toEqual([{ id: templateId(''), template: '', count: 2 }]);
  });
});

describe('template ids', () => {
  it('are T plus eight hex digits, distinct for distinct texts', () => {
    expect(templateId('Connection from <*> port <*>')).toMatch(/^T[0-9a-f]{8}$/);
    const ids = assignIds(['a', 'b', 'c']);
    expect(new Set(ids.values()).size).toBe(3);
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
  it('prints one JSON row per input line with its final template', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warroom-templates-'));
    try {
      const file = join(dir, 'app.log');
      const tenants = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'];
      await writeFile(
        file,
        [
          ...tenants.map((t) => `Worker pool resized for tenant ${t}`),
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
        .map((l) => JSON.parse(l) as { line: number; template_id: string; template: string });
      expect(rows).toHaveLength(9);
      // Even the first line carries the final template.
      expect(rows[0]).toEqual({
        line: 1,
        template_id: templateId('Worker pool resized for tenant <*>'),
        template: 'Worker pool resized for tenant <*>',
      });
      expect(rows[6]).toEqual({ line: 7, template_id: templateId(''), template: '' });
      expect(rows[7]?.template).toBe('Connection from <*> closed');
      expect(rows[8]?.template_id).toBe(rows[7]?.template_id);
      // Field order is part of the format.
      expect(sink.text.split('\n')[0]).toMatch(/^\{"line":1,"template_id":"T[0-9a-f]{8}","template":/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('splits LF and CRLF lines without inventing a last empty one', () => {
    expect(splitLines('a\r\nb\nc\n')).toEqual(['a', 'b', 'c']);
    expect(splitLines('')).toEqual([]);
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
    expect(groupingAccuracy(['P1', 'P1', 'P2', 'P2', 'P2'], ['A', 'A', 'B', 'B', 'C'])).toBe(0.4);
    expect(groupingAccuracy(['P1', 'P2', 'P3'], ['A', 'A', 'B'])).toBeCloseTo(1 / 3);
  });

  it('leave-one-system-out never lets the left-out system choose its own setting', () => {
    // b is best on system 0 alone, a on the other two: system 0 is scored with a, the choice made without it.
    const folds = leaveOneSystemOut(
      [
        { label: 'a', ga: [0.1, 0.9, 0.9] },
        { label: 'b', ga: [1, 0.5, 0.5] },
      ],
      3,
    );
    expect(folds.map((f) => [f.chosen, f.ga])).toEqual([
      ['a', 0.1],
      ['b', 0.5],
      ['b', 0.5],
    ]);
  });
});

/** Regression floors: a couple of points under what the default configuration scores (bench/templates.ts prints the numbers). */
const GA_FLOOR: Readonly<Record<DatasetName, number>> = {
  HDFS: 0.98,
  Hadoop: 0.97,
  Spark: 0.97,
  Zookeeper: 0.97,
  BGL: 0.96,
  HPC: 0.97,
  Apache: 0.98,
  OpenSSH: 0.98,
};

describe('grouping accuracy on the Loghub-2k fixtures', () => {
  for (const name of DATASETS) {
    it(`${name} stays at or above ${GA_FLOOR[name]}`, () => {
      const lines = loadDataset(name);
      expect(lines).toHaveLength(2000);
      const { ids } = mineTemplates(lines.map((l) => l.content));
      expect(
        groupingAccuracy(
          ids,
          lines.map((l) => l.eventId),
        ),
      ).toBeGreaterThanOrEqual(GA_FLOOR[name]);
    });
  }
});

describe('the masking memo', () => {
  it('is empty once a batch is mined, so it keeps none of the batch messages alive', () => {
    // Each message carries a long unique token: kept between batches, the memo kept every one of these messages
    // (a slice keeps its whole string) and the analysis thread's heap reached 469 MB.
    const messages = Array.from({ length: 200 }, (_, i) => `request id=${i.toString(16).padStart(4000, 'f')} failed`);
    const { ids } = mineTemplates(messages);
    expect(ids).toHaveLength(messages.length);
    expect(maskCacheSize()).toBe(0);
  });
});
