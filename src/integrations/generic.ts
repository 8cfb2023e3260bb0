// Parses Warroom's own `generic` alert format, for senders without a native integration (cron jobs, scripts, CI).
//
// Format source: schema/alerts.ts `GenericAlertsInput`, Warroom's documented format: always an envelope
// `{"alerts": [...]}` of 1 to 1000 alerts, each with `dedup_key` (identity, at most 255 characters), `status`
// firing | resolved (default firing), `title` (at most 1024), `severity` (any word; mapped by severity.ts),
// `source` (default "generic"), `group_key` (default: `source`), `labels`, `annotations`, `starts_at`,
// `ends_at`, `links` [{href, text}] and `details`. Each alert is handled on its own.
import { GenericAlertsInput, type NormalizedAlert } from '../../schema/index.js';
import { type ParseContext, groupKeyer, isoOrNull, parsePayload } from './parse-context.js';
import { mapSeverity } from './severity.js';

/**
 * `{alerts: [...]}` in the generic format → one NormalizedAlert per alert, in order. A firing alert's ends_at is
 * null whatever was sent. Throws AlertPayloadError naming each bad field (e.g. `alerts[0].dedup_key`).
 */
export function parseGeneric(payload: unknown, ctx: ParseContext): NormalizedAlert[] {
  const input = parsePayload(GenericAlertsInput, payload, 'generic alert payload');
  const groupKey = groupKeyer(ctx);
  return input.alerts.map((a) => {
    const { severity, raw_severity } = mapSeverity(a.severity, ctx.settings);
    return {
      dedup_key: a.dedup_key,
      status: a.status,
      action: a.status === 'firing' ? 'trigger' : 'resolve',
      title: a.title,
      severity,
      raw_severity,
      source: a.source,
      labels: a.labels,
      annotations: a.annotations,
      starts_at: isoOrNull(a.starts_at),
      ends_at: a.status === 'firing' ? null : isoOrNull(a.ends_at),
      group_key: groupKey(a.labels, a.group_key ?? a.source),
      links: a.links,
      details: a.details,
    };
  });
}
