// An alert's labels, annotations and links as its events keep them: within a share of the metadata text limit.
import { describe, expect, it } from 'vitest';
import { ALERT_TEXT_BUDGET, fitLinks, fitRecord } from '../../src/alerts/fit-text.js';
import { MAX_METADATA_TEXT } from '../../schema/index.js';

const text = (r: Record<string, string>): number => Object.entries(r).reduce((n, [k, v]) => n + k.length + v.length, 0);

describe('fitRecord', () => {
  it('keeps a record that fits as it is, and says nothing was cut', () => {
    const labels = { alertname: 'DiskFull', host: 'db1' };
    expect(fitRecord(labels, 100)).toEqual({ record: labels, cut: false });
    // Exactly the budget fits.
    expect(fitRecord({ k: 'x'.repeat(99) }, 100).cut).toBe(false);
  });

  it('cuts every value to one length at which the record fits, longest values first to lose', () => {
    const record = { summary: 's'.repeat(50), description: 'd'.repeat(5_000), runbook: 'r'.repeat(3_000) };
    const { record: fitted, cut } = fitRecord(record, 1_000);
    expect(cut).toBe(true);
    expect(text(fitted)).toBeLessThanOrEqual(1_000);
    expect(fitted.summary).toBe(record.summary);
    expect(Object.keys(fitted)).toEqual(['summary', 'description', 'runbook']);
    expect(fitted.description?.length).toBe(fitted.runbook?.length);
    // Nothing shorter would also fit: the cap is the longest.
    expect(text(fitted)).toBeGreaterThan(1_000 - 3);
  });

  it('leaves out entries past what fits when there are too many keys, keeping the first in order', () => {
    const many = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`label_${i}`, 'v'.repeat(100)]));
    const { record: fitted, cut } = fitRecord(many, ALERT_TEXT_BUDGET.labels);
    expect(cut).toBe(true);
    expect(text(fitted)).toBeLessThanOrEqual(ALERT_TEXT_BUDGET.labels);
    const kept = Object.keys(fitted);
    expect(kept[0]).toBe('label_0');
    expect(kept).toEqual(Object.keys(many).slice(0, kept.length));
    expect(kept.length).toBeGreaterThan(100);
  });

  it('never splits a surrogate pair', () => {
    const { record: fitted } = fitRecord({ k: '😀'.repeat(1_000) }, 101);
    expect(fitted.k).toMatch(/^(😀)+$/u);
  });
});

describe('fitLinks', () => {
  it('keeps the links in order while they fit, and says when some were left out', () => {
    const links = Array.from({ length: 20 }, (_, i) => ({
      href: `https://x.example/${'p'.repeat(2_000)}${i}`,
      text: 't',
    }));
    const { links: kept, cut } = fitLinks(links, ALERT_TEXT_BUDGET.links);
    expect(cut).toBe(true);
    expect(kept).toEqual(links.slice(0, kept.length));
    expect(kept.reduce((n, l) => n + l.href.length + l.text.length, 0)).toBeLessThanOrEqual(ALERT_TEXT_BUDGET.links);
    expect(fitLinks(links.slice(0, 1), ALERT_TEXT_BUDGET.links)).toEqual({ links: links.slice(0, 1), cut: false });
  });

  it('shares stay inside the metadata text limit, with room for the fixed fields', () => {
    const { labels, annotations, links } = ALERT_TEXT_BUDGET;
    expect(labels + annotations + links).toBeLessThanOrEqual(MAX_METADATA_TEXT - 1_024);
  });
});
