// The alert integrations' pure layer in one import: a parser per sender kind, and the pieces routes and the
// database code need around them (severity ranking, matchers, grouping templates, Grafana signatures).
import type { IntegrationKind } from '../../schema/index.js';
import { parseAlertmanager } from './alertmanager.js';
import { parseDatadog } from './datadog.js';
import { parseGeneric } from './generic.js';
import { parseGrafana } from './grafana.js';
import { parsePagerDuty } from './pagerduty.js';
import type { AlertParser } from './parse-context.js';

export { AlertPayloadError, type AlertPayloadIssue } from './errors.js';
export { labelsFingerprint } from './fingerprint.js';
export { GroupKeyTemplateError, compileGroupKeyTemplate, resolveGroupKey } from './group-key.js';
export {
  MatcherError,
  type Matcher,
  type MatcherObject,
  formatMatcher,
  matchesAll,
  parseMatcher,
  parseMatchers,
} from './matchers.js';
export { type AlertParser, type ParseContext } from './parse-context.js';
export { pagerDutyAccepted } from './pagerduty.js';
export { DEFAULT_SEVERITY_MAP, atLeastSeverity, highestSeverity, mapSeverity, rankSeverity } from './severity.js';
export { type SignatureResult, signGrafanaPayload, verifyGrafanaRequest, verifyGrafanaSignature } from './signature.js';
export { parseAlertmanager, parseDatadog, parseGeneric, parseGrafana, parsePagerDuty };

/** The parser for each integration kind. */
export const ALERT_PARSERS: Readonly<Record<IntegrationKind, AlertParser>> = Object.freeze({
  alertmanager: parseAlertmanager,
  grafana: parseGrafana,
  pagerduty: parsePagerDuty,
  datadog: parseDatadog,
  generic: parseGeneric,
});
export { type ChangeEvent, parsePagerDutyChange } from './pagerduty-change.js';
