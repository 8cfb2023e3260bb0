// The configuration each sender needs, from the README's "Alerts from monitoring systems" section, filled in with
// this server's address, the integration's webhook URL and (right after creation or rotation) its secret.

/** The kinds of integration (schema/alerts.ts IntegrationKind). */
export const KINDS = ['alertmanager', 'grafana', 'pagerduty', 'datadog', 'generic'] as const;
export type Kind = (typeof KINDS)[number];

export interface Snippet {
  title: string;
  language: 'yaml' | 'json' | 'shell';
  text: string;
}

/** The snippets for one integration; `secret` is `whk_…` when it is no longer known. */
export function snippetsFor(kind: Kind, origin: string, webhookUrl: string, secret: string): Snippet[] {
  const url = `${origin}${webhookUrl}`;
  switch (kind) {
    case 'alertmanager':
      return [
        {
          title: 'alertmanager.yml',
          language: 'yaml',
          text: `route:
  receiver: warroom
  group_by: [alertname, cluster]
receivers:
  - name: warroom
    webhook_configs:
      - url: ${url}
        send_resolved: true
        max_alerts: 1000
        http_config:
          authorization: { type: Bearer, credentials: ${secret} }`,
        },
      ];
    case 'pagerduty':
      return [
        {
          title: "Alertmanager's PagerDuty receiver (the secret is the routing key)",
          language: 'yaml',
          text: `  - name: warroom-pagerduty
    pagerduty_configs:
      - url: ${origin}/v2/enqueue
        routing_key: ${secret}
        severity: '{{ .CommonLabels.severity }}'
        group: '{{ .GroupLabels.alertname }}'   # one incident per Alertmanager group
        send_resolved: true`,
        },
        {
          title: 'Any other PagerDuty Events API v2 sender: point it at this host',
          language: 'shell',
          text: `${origin}   (/v2/enqueue is appended; routing_key: ${secret})`,
        },
      ];
    case 'grafana':
      return [
        {
          title: 'In the UI: Webhook contact point, Authorization header credentials (scheme Bearer)',
          language: 'shell',
          text: `URL: ${url}\nHTTP method: POST\nCredentials: ${secret}`,
        },
        {
          // An integration made here has no `settings.hmac`, so it takes the secret as a bearer token; signing with
          // HMAC needs those settings (README, "Grafana"), which this form does not set.
          title: 'Or provisioned (a contact point file), the same bearer credentials',
          language: 'yaml',
          text: `apiVersion: 1
contactPoints:
  - orgId: 1
    name: warroom
    receivers:
      - uid: warroom
        type: webhook
        settings:
          url: ${url}
          httpMethod: POST
          authorization_scheme: Bearer
          authorization_credentials: ${secret}`,
        },
      ];
    case 'datadog':
      return [
        {
          title: 'Datadog: Integrations → Webhooks → New; URL, custom header, then this payload ("Encode as form" off)',
          language: 'json',
          text: `URL: ${url}
Custom headers: {"Authorization": "Bearer ${secret}"}

{"cycle_key": "$ALERT_CYCLE_KEY", "transition": "$ALERT_TRANSITION", "priority": "$ALERT_PRIORITY",
 "alert_type": "$ALERT_TYPE", "title": "$EVENT_TITLE", "monitor_id": "$ALERT_ID", "scope": "$ALERT_SCOPE",
 "message": "$EVENT_MSG", "link": "$LINK", "date": "$DATE", "last_updated": "$LAST_UPDATED", "tags": "$TAGS",
 "hostname": "$HOSTNAME", "event_id": "$ID", "org": "$ORG_NAME"}`,
        },
      ];
    case 'generic':
      return [
        {
          title: 'Your own scripts',
          language: 'shell',
          text: `curl -s -X POST ${url} \\
  -H 'authorization: Bearer ${secret}' -H 'content-type: application/json' \\
  -d '{"alerts": [{"dedup_key": "backup-nightly", "status": "firing", "title": "Nightly backup failed",
       "severity": "sev1", "source": "cron", "labels": {"env": "prod"}}]}'
# "status": "resolved" (with "ends_at") resolves it`,
        },
      ];
  }
}
