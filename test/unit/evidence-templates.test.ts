// The analyzer's template groups: mined as one batch, with ids that survive re-analysis of the same incident.
import { describe, expect, it } from 'vitest';
import { mineEvents } from '../../src/analysis/evidence.js';
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
