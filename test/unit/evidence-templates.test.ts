// The analyzer's template groups: mined as one batch, with ids that survive re-analysis of the same incident.
import { describe, expect, it } from 'vitest';
import { MINED_MESSAGE_CHARS, mineEvents } from '../../src/analysis/evidence.js';
import { templateId } from '../../src/analysis/templates/ids.js';
import { buildScenario } from '../../fixtures/scenarios/index.js';
import { dbPoolCheckout } from '../../fixtures/scenarios/data-stores.js';

describe('mineEvents templates', () => {
  const { input } = buildScenario(dbPoolCheckout);

  it('gives every group the id of its template text', () => {
    const { groups } = mineEvents(input.events);
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect(g.templateId).toBe(templateId(g.template));
  });

  it('gives the same groups and ids when the same events are analysed again, in another order', () => {
    const summary = (events: typeof input.events): string[] =>
      mineEvents(events)
        .groups.map((g) => `${g.key} ${g.template} ${g.count}`)
        .sort();
    expect(summary([...input.events].reverse())).toEqual(summary(input.events));
  });
});

describe('mineEvents on long messages', () => {
  const event = (i: number, message: string) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    incident_id: '00000000-0000-4000-8000-000000000000',
    event_type: 'log' as const,
    source: 'app',
    message,
    level: 'error' as const,
    timestamp: new Date(Date.UTC(2026, 11, 1, 0, 0, i)).toISOString(),
    metadata: {},
  });
  /** A single line of `length` characters: a fixed head, then words that differ per message. */
  const line = (i: number, length: number): string => {
    let text = 'payment gateway rejected the request: ';
    for (let k = 0; text.length < length; k++) text += `w${(i * 31 + k) % 97} `;
    return text.slice(0, length);
  };

  it('mines only the head of each message: what follows it is not read', () => {
    // Mined whole, the tail's constant words would be part of the template.
    const head = line(0, MINED_MESSAGE_CHARS);
    const events = [0, 1, 2].map((i) => event(i, `${head} read-beyond-the-cut ${line(i + 1, 1_000 + 1_000 * i)}`));
    const { groups } = mineEvents(events);
    expect(groups).toHaveLength(1);
    expect(groups[0]?.count).toBe(3);
    expect(groups[0]?.template).not.toContain('read-beyond-the-cut');
    expect(groups[0]?.template.length).toBeLessThanOrEqual(MINED_MESSAGE_CHARS);
  });

  it('mines a message of exactly MINED_MESSAGE_CHARS whole', () => {
    const events = [0, 1].map((i) => event(i, line(0, MINED_MESSAGE_CHARS - 1) + String(i)));
    // The last character differs: two variants of one template, the variable part marked.
    const { groups } = mineEvents(events);
    expect(groups).toHaveLength(1);
    expect(groups[0]?.template).toMatch(/<\*>$/);
  });
});
