// Failure categories of how services are run: changes, crashes, credentials, message queues.
import type { FailureCategory } from './types.js';

export const badDeploy: FailureCategory = {
  id: 'bad_deploy',
  title: 'Bad deploy or config change',
  role: 'cause',
  failing: 'target',
  signatures: [
    {
      pattern:
        /\b(deploy(ed|ing|ment)? (of |started|finished|completed|succeeded|to)|rolled out|rolling out|rollout (of|started|complete)|released? (version|v\d)|upgrad(ed|ing) .{0,40}\bto\b|helm (upgrade|install)|kubectl (apply|set image)|image updated|new revision)\b/i,
      weight: 1.5,
      kind: 'change',
    },
    {
      pattern:
        /config(uration)? (change|changed|update[ds]?|reload(ed)?|push(ed)?|applied)|feature.?flag .{0,60}(enabled|turned on|changed|rolled out|set to)|setting .{0,40}changed from|schema migration .{0,30}(applied|ran|started)/i,
      weight: 1.4,
      kind: 'change',
    },
  ],
  keywords: /deploy|release|rollout|config(uration)? change|feature flag|upgrade/i,
  targetKeys: ['service', 'app', 'deployment', 'application', 'flag', 'feature_flag'],
  targets: [
    /deployment "?([a-z][\w-]+)/i,
    /(?:deploy(?:ed|ing)?|rolling out|rolled out|releas(?:e|ed|ing)|upgrad(?:e|ed|ing)) (?:of )?"?([a-z][\w-]+)/i,
    /flag "?'?([\w.-]+)/i,
  ],
  defaultTarget: 'the changed service',
  explanation:
    'A change to {target} at {first_seen} ({evidence}) shortly preceded the errors and is their likely trigger.',
  untargetedExplanation:
    'A change at {first_seen} ({evidence}) shortly preceded the errors and is their likely trigger.',
  runbook: [
    {
      title: 'Roll back {target} to the previous version / revert the configuration or feature flag change',
      detail: 'Rolling back first and debugging second is the fastest way to stop the damage.',
      priority: 1,
    },
    {
      title: 'Pause the deploy pipeline for {target} until the cause is understood',
      detail: 'Prevents an automated promotion from re-applying the change.',
      priority: 2,
    },
    {
      title:
        'Diff the change to {target} (code, config, feature flags, migrations) against the last good version, starting from the new errors',
      detail: 'The first new error template after the change usually points at the changed code path.',
      priority: 2,
    },
    {
      title: 'Verify recovery after the roll back: error rate and latency of {target} back to baseline',
      detail: 'Keep the incident open until the new error templates stop.',
      priority: 3,
    },
    {
      title: 'Add a canary stage with automatic roll back on error-rate regression for {target}',
      detail: 'Compare the canary with the baseline fleet on the error templates, not only on health checks.',
      priority: 4,
    },
  ],
};

export const crashLoop: FailureCategory = {
  id: 'crash_loop',
  title: 'Crash loop',
  role: 'cause',
  failing: 'component',
  signatures: [
    {
      pattern:
        /CrashLoopBackOff|back-?off restarting failed container|restart loop|process exited (unexpectedly|with code [1-9])|exited with (code|status) [1-9]\d*|entered FATAL state|too many restarts/i,
      weight: 1.1,
    },
    {
      pattern:
        /\bpanic:|segmentation fault|\bSIGSEGV\b|fatal error:|uncaught exception|unhandled (promise )?rejection|core dumped/i,
      weight: 1.0,
    },
  ],
  metrics: [{ name: /restart[\w.]*(count|total)/i, above: 3, weight: 0.8 }],
  keywords: /crash|restart|CrashLoopBackOff|panic/i,
  targetKeys: ['pod', 'container', 'deployment'],
  defaultTarget: 'its pods',
  explanation:
    '{component} is crash-looping (first at {first_seen}: {evidence}); every restart crashes again, so it serves or processes nothing.',
  runbook: [
    {
      title: 'Read the last crash of {component} (kubectl logs --previous, crash report) to get the exact exit reason',
      detail: 'The first line of the panic / stack trace names the failing code path.',
      priority: 1,
    },
    {
      title: 'Roll back {component} to the last version that ran stably if the crashes began after a change',
      detail: 'Check the deploy history of {component} around the first crash.',
      priority: 1,
    },
    {
      title: 'Fix or revert the crashing code path or missing config in {component}, then redeploy',
      detail: 'Poison inputs (one bad message or record) also cause crash loops: skip or dead-letter them.',
      priority: 2,
    },
    {
      title: 'Check that the liveness probes and resource limits of {component} are not killing healthy instances',
      detail: 'Probes that time out during start-up cause restart loops on their own.',
      priority: 3,
    },
    {
      title: 'Alert on the restart count of {component}',
      detail: 'More than 3 restarts in 10 minutes is never healthy.',
      priority: 4,
    },
  ],
};

export const credentialFailure: FailureCategory = {
  id: 'credential_failure',
  title: 'Credential or permission failure',
  role: 'cause',
  failing: 'component',
  signatures: [
    {
      pattern:
        /permission denied|access denied|AccessDenied|not authori[sz]ed to perform|\b401 unauthori[sz]ed|\b403 forbidden|authentication failed|password authentication failed|invalid (credentials|api.?key|access.?key|client.?secret|password)|(credentials?|api.?key|access.?key|service account token) (have |has )?(expired|been revoked)|ExpiredToken|InvalidAccessKeyId|SignatureDoesNotMatch|\bEACCES\b|login failed for user/i,
      weight: 1.4,
    },
    {
      pattern:
        /secret .{0,40}(rotated|rotation)|credentials? (were |was )?(rotated|rotation)|(api|access) key (rotated|rotation)/i,
      weight: 0.8,
      kind: 'change',
    },
  ],
  keywords:
    /credential|permission|unauthori[sz]ed|forbidden|access denied|auth(entication)? fail|password|api key|\biam\b/i,
  targetKeys: ['bucket', 'resource', 'db', 'database', 'upstream', 'provider'],
  targets: [/s3:\/\/([\w.-]+)/i, /https?:\/\/([\w.-]+)/i, /for user "?'?([\w.@-]+)/i],
  defaultTarget: 'a dependency',
  explanation:
    '{component} is refused by {target} because its credentials or permissions are no longer valid (first at {first_seen}: {evidence}).',
  runbook: [
    {
      title:
        'Identify the credential {component} uses for {target} (secret, IAM role, API key) and whether it was rotated, expired or lost permissions',
      detail: 'The first denied call names the principal and the action.',
      priority: 1,
    },
    {
      title:
        'Restore access: update the secret of {component} with the current credential or re-grant the missing permission, then restart {component} to reload it',
      detail: 'Verify with one manual call using the same principal.',
      priority: 1,
    },
    {
      title:
        'Check the audit log (IAM / CloudTrail / database) for the recent permission or secret change affecting {target}',
      detail: 'Tells who changed what, and whether other services use the same credential.',
      priority: 2,
    },
    {
      title:
        'Make credential rotation two-phase (old and new valid together) and let {component} reload secrets without a restart',
      detail: 'A rotation should never have a moment where only one side knows the new secret.',
      priority: 3,
    },
    {
      title: 'Alert on authentication and authorization failures of service accounts',
      detail: 'One denied call from a service account is already an incident.',
      priority: 4,
    },
  ],
};

export const queueBacklog: FailureCategory = {
  id: 'queue_backlog',
  title: 'Queue backlog / consumer lag',
  role: 'cause',
  failing: 'component',
  signatures: [
    {
      pattern:
        /consumer (group )?lag|\blag (of|=|is|grew|growing)|backlog|queue (depth|size|length) .{0,40}(high|exceed|above|growing)|messages? (are )?(piling up|accumulating|not being consumed)|rebalanc(e|ing) (in progress|failed|storm)|max\.poll\.interval|slow consumer|dead.letter/i,
      weight: 1.2,
    },
  ],
  metrics: [
    {
      name: /(consumer|kafka|queue|topic|sqs|rabbit|stream)[\w.]*(lag|depth|backlog|size|length|visible)/i,
      above: 1000,
      weight: 1.0,
    },
  ],
  keywords: /queue|backlog|consumer|\blag\b|kafka|delayed/i,
  targetKeys: ['queue', 'topic', 'consumer_group', 'group', 'stream'],
  targets: [/(?:topic|queue|group) "?([\w.-]+)/i],
  defaultTarget: 'its queue',
  explanation:
    'The consumers of {target} in {component} fell behind (first at {first_seen}: {evidence}); messages pile up faster than they are processed.',
  runbook: [
    {
      title: 'Scale out the consumers of {target} ({component} instances / partitions) to drain the backlog',
      detail: 'More consumers only help up to the partition count.',
      priority: 1,
    },
    {
      title:
        'Check whether the consumers in {component} are stuck, crashing or rebalancing (poll timeouts, max.poll.interval) and restart stuck ones',
      detail: 'A consumer stuck on one message stalls its whole partition.',
      priority: 1,
    },
    {
      title:
        'Find the slow step in the message handling of {component} (a slow downstream call, a poison message) and dead-letter poison messages',
      detail: 'Per-message processing time tells a throughput problem from a stuck consumer.',
      priority: 2,
    },
    {
      title: 'Throttle producers or shed non-critical messages to {target} until the consumer lag recovers',
      detail: 'Protects the messages that matter while the backlog drains.',
      priority: 3,
    },
    {
      title: 'Alert on the consumer lag of {target} as time-to-drain, not only message count',
      detail: 'A backlog of 10k is fine at 1k msg/s and an outage at 10 msg/s.',
      priority: 4,
    },
  ],
};
