// group_by templates: label placeholders, the sender's key, missing labels, and refusal of anything else.
import { describe, expect, it } from 'vitest';
import { IntegrationSettings } from '../../../schema/index.js';
import {
  GroupKeyTemplateError,
  MAX_GROUP_KEY,
  MAX_GROUP_KEY_BYTES,
  compileGroupKeyTemplate,
  fitGroupKey,
  resolveGroupKey,
} from '../../../src/integrations/group-key.js';
import { wellFormed } from '../../../src/text-cut.js';

const labels = { service: 'checkout', env: 'prod', 'k8s.namespace': 'shop' };

describe('group_by templates', () => {
  it('renders labels with or without spaces in the braces', () => {
    const t = compileGroupKeyTemplate('{{ labels.service }}/{{labels.env}}');
    expect(t({ labels, group_key: 'g' })).toBe('checkout/prod');
  });
  it('a missing label renders empty', () => {
    expect(compileGroupKeyTemplate('{{ labels.team }}|{{ labels.env }}')({ labels, group_key: '' })).toBe('|prod');
  });
  it('can refine the sender key and read dotted names', () => {
    const t = compileGroupKeyTemplate('{{ group_key }}:{{ labels.k8s.namespace }}');
    expect(t({ labels, group_key: '{}:{alertname="X"}' })).toBe('{}:{alertname="X"}:shop');
  });
  it('refuses anything that is not a placeholder, at compile time', () => {
    for (const bad of [
      '{{ labels }}',
      '{{ constructor }}',
      '{{ labels.a + 1 }}',
      '{{ labels.a',
      'x }}',
      '{{ process.exit() }}',
    ]) {
      expect(() => compileGroupKeyTemplate(bad)).toThrow(GroupKeyTemplateError);
      expect(IntegrationSettings.safeParse({ group_by: bad }).success).toBe(false);
    }
  });
  it('does not read inherited properties', () => {
    expect(compileGroupKeyTemplate('{{ labels.constructor }}')({ labels, group_key: '' })).toBe('');
  });
  it('resolveGroupKey falls back to the sender key', () => {
    expect(resolveGroupKey(undefined, { labels, group_key: 'sender' })).toBe('sender');
    expect(resolveGroupKey('{{ labels.env }}', { labels, group_key: 'sender' })).toBe('prod');
  });
});

describe('fitGroupKey', () => {
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  it('keeps a key within both limits as it is: every key stored before the limits existed keeps its form', () => {
    expect(fitGroupKey('{}:{alertname="X"}')).toBe('{}:{alertname="X"}');
    for (const key of ['k'.repeat(MAX_GROUP_KEY), '漢'.repeat(400), '\u{1F6A8}'.repeat(600)]) {
      expect(fitGroupKey(key)).toBe(key);
    }
  });
  it('fits a long key under both limits, keeping its beginning and telling keys that differ only at the end apart', () => {
    // 1000 CJK characters are 3000 bytes: over PostgreSQL's B-tree entry limit (2704) with the integration id.
    const cjk = '漢'.repeat(999);
    const [a, b] = [fitGroupKey(`${cjk}一`), fitGroupKey(`${cjk}二`)];
    for (const k of [a, b]) {
      expect(bytes(k)).toBeLessThanOrEqual(MAX_GROUP_KEY_BYTES);
      expect(k.length).toBeLessThanOrEqual(MAX_GROUP_KEY);
      expect(k.startsWith('漢漢漢')).toBe(true);
      expect(k).toMatch(/… sha256:[0-9a-f]{64}$/);
    }
    expect(a).not.toBe(b);
    expect(fitGroupKey(`${cjk}一`)).toBe(a);
    // Emoji (4 bytes each) are never cut in half, and plain keys over 1024 characters are fitted the same way.
    const emoji = fitGroupKey('\u{1F6A8}'.repeat(1000));
    expect(wellFormed(emoji)).toBe(emoji);
    expect(bytes(emoji)).toBeLessThanOrEqual(MAX_GROUP_KEY_BYTES);
    expect(fitGroupKey('k'.repeat(MAX_GROUP_KEY + 1))).not.toBe(fitGroupKey(`${'k'.repeat(MAX_GROUP_KEY)}j`));
  });
  it('templates and the sender key are fitted the same way', () => {
    const long = '漢'.repeat(1000);
    expect(resolveGroupKey(undefined, { labels, group_key: long })).toBe(fitGroupKey(long));
    expect(compileGroupKeyTemplate('{{ labels.x }}')({ labels: { x: long }, group_key: '' })).toBe(fitGroupKey(long));
  });
});
