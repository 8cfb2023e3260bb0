// Maps each sender's severity words to Warroom's five levels, and ranks levels so "highest of its alerts" is easy.
import { ALERT_SEVERITIES, type AlertSeverity, type IntegrationSettings } from '../../schema/index.js';

/**
 * The documented default map, keys lower-case. PagerDuty's critical/error/warning/info, Alertmanager/Grafana's
 * conventional `severity` label values and Datadog's P1-P5 priorities all land here.
 */
export const DEFAULT_SEVERITY_MAP: Readonly<Record<string, AlertSeverity>> = Object.freeze({
  critical: 'critical',
  crit: 'critical',
  page: 'critical',
  p1: 'critical',
  sev1: 'critical',
  error: 'high',
  high: 'high',
  major: 'high',
  p2: 'high',
  warning: 'medium',
  warn: 'medium',
  p3: 'medium',
  low: 'low',
  p4: 'low',
  info: 'info',
  none: 'info',
  p5: 'info',
});

export interface MappedSeverity {
  severity: AlertSeverity;
  /** The sender's value as sent (untrimmed), or null when it sent none (undefined, null or blank). */
  raw_severity: string | null;
}

type SeveritySettings = Pick<IntegrationSettings, 'default_severity' | 'severity_map'>;

/**
 * Map a sender's severity to Warroom's: trim and lower-case it, look it up in the integration's `severity_map`
 * (keys compared the same way), then in DEFAULT_SEVERITY_MAP; missing, blank or unknown → `default_severity`.
 */
export function mapSeverity(raw: string | null | undefined, settings: SeveritySettings): MappedSeverity {
  if (raw === undefined || raw === null || raw.trim() === '') {
    return { severity: settings.default_severity, raw_severity: null };
  }
  const key = raw.trim().toLowerCase();
  const override = Object.entries(settings.severity_map).find(([k]) => k.trim().toLowerCase() === key)?.[1];
  // Own keys only: a sender's `constructor` or `__proto__` must not find Object's properties (that was a 500).
  const known = Object.hasOwn(DEFAULT_SEVERITY_MAP, key) ? DEFAULT_SEVERITY_MAP[key] : undefined;
  return { severity: override ?? known ?? settings.default_severity, raw_severity: raw };
}

/** critical 4, high 3, medium 2, low 1, info 0: a larger number is more severe. */
export function rankSeverity(severity: AlertSeverity): number {
  return ALERT_SEVERITIES.length - 1 - ALERT_SEVERITIES.indexOf(severity);
}

/** The most severe of the given severities; undefined for none (e.g. an incident's severity from its alerts). */
export function highestSeverity(severities: Iterable<AlertSeverity>): AlertSeverity | undefined {
  let best: AlertSeverity | undefined;
  for (const s of severities) if (best === undefined || rankSeverity(s) > rankSeverity(best)) best = s;
  return best;
}

/** True when `severity` is at or above `min` (the integration's `min_severity` gate). */
export function atLeastSeverity(severity: AlertSeverity, min: AlertSeverity): boolean {
  return rankSeverity(severity) >= rankSeverity(min);
}
