// Symptom-only categories: what users and monitors see, recognised so they can be explained away.
import type { FailureCategory } from './types.js';

export const serverErrors: FailureCategory = {
  id: 'http_5xx',
  title: 'Elevated server errors (5xx)',
  role: 'symptom',
  failing: 'component',
  signatures: [
    {
      pattern:
        /\b50[0-3]\b(?!\s*ms)|internal server error|bad gateway|service unavailable|\b5xx\b|error rate (high|above|exceeded)/i,
      weight: 0.8,
    },
  ],
  metrics: [{ name: /(5xx|error)[\w.]*(rate|ratio|percent)/i, above: 5, weight: 0.6 }],
  keywords: /\b5\d\d\b|\b5xx\b|server error|bad gateway|unavailable|errors?\b/i,
  targetKeys: ['service', 'upstream'],
  defaultTarget: 'its dependencies',
  explanation:
    '{component} is returning server errors (first at {first_seen}: {evidence}); no known cause signature precedes them, so the failing dependency still has to be found.',
  runbook: [
    {
      title: 'Trace a failing request through {component} to find the first dependency that errors',
      detail: 'The 5xx is where the failure surfaces, rarely where it starts.',
      priority: 1,
    },
    {
      title: 'Roll back the most recent change to {component} if the errors started with it',
      detail: 'Check deploys, config and feature flag changes in the hour before the onset.',
      priority: 2,
    },
    {
      title: 'Shed load or enable a degraded mode for {component} while the cause is found',
      detail: 'Serve cached or partial responses on the critical paths.',
      priority: 3,
    },
  ],
};

export const latencyDegradation: FailureCategory = {
  id: 'latency_degradation',
  title: 'Latency degradation',
  role: 'symptom',
  failing: 'component',
  signatures: [
    {
      pattern: /latency|\bp9[59]\b|slow (request|response|query|queries)|response time|SLO (burn|breach)|apdex/i,
      weight: 0.7,
    },
  ],
  metrics: [{ name: /(latency|duration|response_time)[\w.]*(p9[59]|ms|seconds)?/i, above: 1000, weight: 0.5 }],
  keywords: /latency|slow|response time/i,
  targetKeys: ['service', 'endpoint', 'route'],
  defaultTarget: 'its dependencies',
  explanation:
    '{component} is slow (first at {first_seen}: {evidence}); no known cause signature precedes it, so the saturated resource or slow dependency still has to be found.',
  runbook: [
    {
      title: 'Break down the latency of {component} by dependency (traces) to find where the time goes',
      detail: 'Compare span durations before and after the onset.',
      priority: 1,
    },
    {
      title: 'Check saturation of {component} (CPU, memory, pools, queues) and scale out if saturated',
      detail: 'Latency rises long before errors when a resource saturates.',
      priority: 2,
    },
    {
      title: 'Roll back the most recent change to {component} if the slowdown started with it',
      detail: 'Check deploys and config changes just before the onset.',
      priority: 3,
    },
  ],
};
