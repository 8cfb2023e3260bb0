// group_by templates: label placeholders, the sender's key, missing labels, and refusal of anything else.
import { describe, expect, it } from 'vitest';
import { IntegrationSettings } from '../../../schema/index.js';
import {
  GroupKeyTemplateError,
  compileGroupKeyTemplate,
  resolveGroupKey,
} from '../../../src/integrations/group-key.js';

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
