// Loads sender fixtures (test/fixtures/senders/) and builds parse contexts for the integration parser tests.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { IntegrationSettings, type IntegrationSettingsInput, NormalizedAlert } from '../../../schema/index.js';
import { AlertPayloadError } from '../../../src/integrations/errors.js';
import type { ParseContext } from '../../../src/integrations/parse-context.js';

/** A fixture's parsed JSON; a fresh copy each call, so tests may mutate it. */
export function fixture(name: string): Record<string, unknown> {
  const url = new URL(`../../fixtures/senders/${name}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
}

export function ctx(settings: IntegrationSettingsInput = {}, extra: Partial<ParseContext> = {}): ParseContext {
  return { settings: IntegrationSettings.parse(settings), ...extra };
}

/** Every parser output must be a valid NormalizedAlert. */
export function expectValid(alerts: unknown[]): void {
  for (const a of alerts) expect(NormalizedAlert.safeParse(a).error).toBeUndefined();
}

/** The issues of the AlertPayloadError `f` throws (fails the test when it throws anything else or nothing). */
export function issuesOf(f: () => unknown): { path: string; message: string }[] {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(AlertPayloadError);
    return (err as AlertPayloadError).issues;
  }
  throw new Error('expected an AlertPayloadError');
}
