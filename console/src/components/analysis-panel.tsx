// The analysis: root cause, summary, suggested actions, and from the newest ai_analysis timeline entry the confidence,
// the evidence (templates with counts) and similar past incidents, linked.
import { useMemo } from 'react';
import { formatTime } from '../format.js';
import type { Incident, TimelineEntry } from '../model.js';
import { incidentPath } from '../navigation.js';
import { Link } from './link.js';
import { LocalTimes } from './local-times.js';

interface TemplateEvidence {
  template: string;
  count: number;
  level: string;
  first_seen: string;
  last_seen: string;
}
interface SimilarIncident {
  incident_id: string;
  title: string;
  score: number;
}
interface AnalysisDetails {
  analyzer: string;
  confidence: number | undefined;
  templates: TemplateEvidence[];
  similar: SimilarIncident[];
  at: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The details the analyzer stored in the entry's metadata (src/analysis/runtime/store.ts). Metadata is free-form on
 * the wire, so each field is checked; anything unexpected is left out rather than trusted.
 */
function detailsOf(entry: TimelineEntry): AnalysisDetails {
  const m = entry.metadata;
  const evidence = isRecord(m.evidence) ? m.evidence : {};
  const templates = Array.isArray(evidence.templates) ? evidence.templates.filter(isRecord) : [];
  const similar = Array.isArray(m.similar_incidents) ? m.similar_incidents.filter(isRecord) : [];
  return {
    analyzer: str(m.analyzer) || entry.actor,
    confidence: num(m.confidence),
    templates: templates.map((t) => ({
      template: str(t.template),
      count: num(t.count) ?? 0,
      level: str(t.level),
      first_seen: str(t.first_seen),
      last_seen: str(t.last_seen),
    })),
    similar: similar
      .map((s) => ({ incident_id: str(s.incident_id), title: str(s.title), score: num(s.score) ?? 0 }))
      .filter((s) => s.incident_id),
    at: entry.timestamp,
  };
}

/** The analysis section; says so plainly when there is none yet. */
export function AnalysisPanel({ incident, timeline }: { incident: Incident; timeline: readonly TimelineEntry[] }) {
  const latest = useMemo(() => timeline.findLast((e) => e.entry_type === 'ai_analysis'), [timeline]);
  const details = latest ? detailsOf(latest) : undefined;
  const has = incident.root_cause !== null || incident.ai_summary !== null;
  return (
    <section className="card analysis" aria-labelledby="analysis-heading" data-testid="analysis" tabIndex={0}>
      <h2 id="analysis-heading">Analysis</h2>
      {!has && <p className="muted">No analysis yet: it runs when events arrive (or ask the API to analyse now).</p>}
      {incident.root_cause && (
        <>
          <h3>Root cause</h3>
          <p data-testid="root-cause">
            <LocalTimes text={incident.root_cause} />
          </p>
        </>
      )}
      {incident.ai_summary && (
        <>
          <h3>Summary</h3>
          <p data-testid="summary">
            <LocalTimes text={incident.ai_summary} />
          </p>
        </>
      )}
      {details && (
        <p className="muted">
          {details.analyzer}
          {details.confidence !== undefined && <> · confidence {Math.round(details.confidence * 100)}%</>} ·{' '}
          {formatTime(details.at)}
        </p>
      )}
      {incident.suggested_actions.length > 0 && (
        <>
          <h3>Suggested actions</h3>
          <ol>
            {incident.suggested_actions.map((a, i) => (
              <li key={i}>
                <LocalTimes text={a} />
              </li>
            ))}
          </ol>
        </>
      )}
      {details && details.templates.length > 0 && (
        <>
          <h3>Evidence</h3>
          <ul className="evidence">
            {details.templates.map((t, i) => (
              <li key={i}>
                <code>{t.template}</code>{' '}
                <span className="muted">
                  ×{t.count} {t.level}
                  {t.first_seen && <>, {formatTime(t.first_seen)}</>}
                  {t.last_seen && t.last_seen !== t.first_seen && <> – {formatTime(t.last_seen)}</>}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
      {details && details.similar.length > 0 && (
        <>
          <h3>Similar past incidents</h3>
          <ul>
            {details.similar.map((s) => (
              <li key={s.incident_id}>
                <Link href={incidentPath(s.incident_id)}>{s.title || s.incident_id}</Link>{' '}
                <span className="muted">similarity {Math.round(s.score * 100)}%</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
