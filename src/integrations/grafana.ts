// Parses Grafana Alerting's webhook payload into alerts.
//
// Format source: Grafana's webhook notifier docs ("Webhook JSON payload", grafana.com/docs/grafana/latest/
// alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/): Alertmanager's webhook
// shape with `version` "1" and `orgId`, `state`, `title`, `message`; per alert `values` (refId → number or null),
// `valueString`, `silenceURL`, `dashboardURL`, `panelURL`, `imageURL`, and Grafana's own `fingerprint`.
// The rules (per-alert status, fingerprint identity, zero endsAt = not ended, groupKey grouping) are
// Alertmanager's, in alertmanager.ts. Signature checking (X-Grafana-Alerting-Signature) happens before parsing,
// on the raw body: see signature.ts.
import type { NormalizedAlert } from '../../schema/index.js';
import { parseWebhookMessage } from './alertmanager.js';
import type { ParseContext } from './parse-context.js';

/**
 * Grafana webhook payload → one NormalizedAlert per element of `alerts`; links carry the dashboard, panel,
 * silence and image URLs Grafana sends, details carry `values`/`value_string` and `org_id`.
 * Throws AlertPayloadError naming each bad field.
 */
export function parseGrafana(payload: unknown, ctx: ParseContext): NormalizedAlert[] {
  return parseWebhookMessage(payload, ctx, 'grafana');
}
