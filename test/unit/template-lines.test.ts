// lineMessage: whole log lines reduced to their message before mining (src/analysis/templates/lines.ts).
import { describe, expect, it } from 'vitest';
import { lineMessage } from '../../src/analysis/templates/lines.js';

describe('lineMessage', () => {
  it('takes level and message from structured (JSON) lines, whatever the logger calls them', () => {
    expect(lineMessage('{"ts":"2026-11-29T16:00:03Z","level":"info","msg":"order placed","status":201}')).toBe(
      'info order placed',
    );
    expect(lineMessage('{"@t":"…","severity":"ERROR","message":"pool exhausted"}')).toBe('ERROR pool exhausted');
    expect(lineMessage('{"level":30,"msg":"listening"}')).toBe('30 listening');
    expect(lineMessage('{"event":"user.login","user":"bob"}')).toBe('user.login');
  });

  it('leaves JSON without a message field, arrays, and broken JSON as they are', () => {
    for (const line of ['{"a":1}', '[1,2]', '{"msg": "unterminated', '{"msg": 42}']) {
      expect(lineMessage(line)).toBe(line);
    }
  });

  it('drops the time and host of syslog lines (RFC 3164 and ISO timestamps), keeping the program tag', () => {
    expect(lineMessage('Nov 29 16:00:01 db-primary CRON[25703]: (backup) CMD (/usr/local/bin/backup.sh)')).toBe(
      'CRON[25703]: (backup) CMD (/usr/local/bin/backup.sh)',
    );
    expect(lineMessage('<34>Nov  9 06:25:01 bastion sshd[811]: Invalid user x from 10.0.0.1 port 22')).toBe(
      'sshd[811]: Invalid user x from 10.0.0.1 port 22',
    );
    expect(lineMessage('2026-11-29T16:00:01.123Z web-1 kernel: Out of memory')).toBe('kernel: Out of memory');
  });

  it('leaves lines that only start with a time alone (no host and tag: not a syslog header)', () => {
    const pg = '2026-11-29 16:00:02.521 UTC [46223] LOG:  disconnection: session time: 0:30:43.174';
    expect(lineMessage(pg)).toBe(pg);
    const content = 'PacketResponder 1 for block blk_38865049064139660 terminating';
    expect(lineMessage(content)).toBe(content);
  });
});
