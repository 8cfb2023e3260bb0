// Failure categories between services: DNS, TLS certificates, reachability, slow or throttling dependencies.
import type { FailureCategory } from './types.js';

/** A hostname inside a URL, the usual way a dependency is named in a log line. */
const URL_HOST = /https?:\/\/([\w.-]+)/i;

export const dnsResolution: FailureCategory = {
  id: 'dns_resolution',
  title: 'DNS resolution failure',
  role: 'cause',
  failing: 'target',
  signatures: [
    {
      pattern:
        /getaddrinfo (ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)|\bENOTFOUND\b|\bEAI_AGAIN\b|no such host|name (or service )?not known|\bNXDOMAIN\b|\bSERVFAIL\b|could not resolve|unknown ?host|temporary failure in name resolution|dns (resolution|lookup|query) (failed|error|timed out)|UnknownHostException/i,
      weight: 1.6,
    },
  ],
  keywords: /\bdns\b|resolv|nxdomain|name resolution/i,
  targetKeys: ['domain', 'hostname', 'query', 'fqdn'],
  targets: [
    /(?:ENOTFOUND|EAI_AGAIN|lookup|resolve(?: host)?:?|UnknownHostException:?|NXDOMAIN(?: for)?|SERVFAIL(?: for)?)\s+"?([a-z0-9][\w-]*(?:\.[\w-]+)+)/i,
  ],
  defaultTarget: 'its dependency hostname',
  explanation:
    '{component} could not resolve {target} through DNS (first at {first_seen}: {evidence}), so every call to it failed before connecting.',
  runbook: [
    {
      title:
        'Check that {target} still resolves (dig / nslookup from the network of {component}) and whether its DNS record was changed or deleted',
      detail:
        'Compare answers from the cluster resolver and a public resolver to tell a record problem from a resolver problem.',
      priority: 1,
    },
    {
      title:
        'Check the DNS resolvers used by {component} (CoreDNS / kube-dns / VPC resolver): pod health, errors, query rate limits',
      detail: 'SERVFAIL and timeouts for every name point at the resolver, NXDOMAIN for one name at the record.',
      priority: 1,
    },
    {
      title: 'Restore the DNS record of {target}, or pin a temporary hosts entry / IP override for {component}',
      detail: 'Remove the override once the record is back.',
      priority: 2,
    },
    {
      title: 'Add DNS caching (serve-stale) and retry with backoff on resolution errors in {component}',
      detail: 'A short resolver outage should not fail every request.',
      priority: 3,
    },
    {
      title: 'Alert on DNS resolution failures and probe the record of {target} externally',
      detail: 'Catches expired domains and accidental record deletions.',
      priority: 4,
    },
  ],
};

export const certificateExpiry: FailureCategory = {
  id: 'certificate_expiry',
  title: 'TLS certificate expiry / TLS failure',
  role: 'cause',
  failing: 'target',
  signatures: [
    {
      pattern:
        /certificate (has )?expired|certificate .{0,40}not (yet )?valid|\bx509:|CERT_HAS_EXPIRED|tls: (bad|expired|unknown) certificate|certificate verify failed|alert (bad certificate|certificate expired)|unable to verify the first certificate|self.signed certificate|PKIX path (building|validation) failed|SSLHandshakeException|(ssl|tls) handshake (error|fail)/i,
      weight: 1.6,
    },
    { pattern: /certificate .{0,60}expires? (in|within) \d+ (days?|hours?)/i, weight: 0.6 },
  ],
  keywords: /certificate|\bcert\b|\btls\b|\bssl\b|x509|handshake/i,
  targetKeys: ['domain', 'hostname', 'peer', 'upstream', 'db', 'target', 'server'],
  targets: [
    /certificate for "?([\w.*-]+\.[a-z][\w-]*)/i,
    URL_HOST,
    /(?:connecting to|handshake with|dial(?:ing)?) "?([\w-]+(?:\.[\w-]+)*)/i,
  ],
  defaultTarget: 'the TLS endpoint',
  explanation:
    'TLS connections from {component} to {target} fail certificate validation (first at {first_seen}: {evidence}); the certificate has expired or is invalid.',
  runbook: [
    {
      title: 'Renew / reissue the TLS certificate of {target} and deploy it with its full chain',
      detail: 'Check notAfter and the chain with `openssl s_client -connect <host>:<port> -showcerts`.',
      priority: 1,
    },
    {
      title:
        'Reload or restart the processes that terminate TLS for {target} so they serve the renewed certificate, then verify from {component}',
      detail: 'Many servers only read certificates at start-up.',
      priority: 1,
    },
    {
      title: 'Check the clock (NTP) of the {component} hosts if the certificate should still be valid',
      detail: 'Clock skew makes a valid certificate look expired or not yet valid.',
      priority: 3,
    },
    {
      title: 'Automate certificate renewal (cert-manager / ACME) for {target} and alert 30 days before expiry',
      detail: 'Inventory every certificate, including internal ones and client certificates.',
      priority: 4,
    },
  ],
};

export const networkPartition: FailureCategory = {
  id: 'network_partition',
  title: 'Network partition / connection refused',
  role: 'cause',
  failing: 'component',
  signatures: [
    {
      pattern:
        /no route to host|\bEHOSTUNREACH\b|network (is )?unreachable|\bENETUNREACH\b|packet loss|partition(ed)? (detected|from)|network partition|split.brain|lost (connection|contact) (to|with) (peer|node|member|quorum)|link (down|flapping)|BGP .{0,30}down/i,
      weight: 1.4,
    },
    {
      pattern:
        /connection refused|\bECONNREFUSED\b|connection reset( by peer)?|\bECONNRESET\b|broken pipe|heartbeat (timeout|missed|failed)/i,
      weight: 0.8,
    },
  ],
  metrics: [
    { name: /packet[\w.]*loss/i, above: 5, weight: 1.2 },
    { name: /(network|net|interface)[\w.]*(errors|drops|dropped)/i, above: 100, weight: 0.8 },
  ],
  keywords: /network|partition|unreachable|packet loss|connection refused|connectivity/i,
  targetKeys: ['peer', 'target', 'remote', 'upstream', 'zone', 'az', 'link'],
  targets: [/(?:dial tcp|connect(?:ion)? to|reach|peer) "?([\w.-]+(?::\d+)?)/i],
  defaultTarget: 'its peers',
  explanation:
    '{component} lost network connectivity to {target} (first at {first_seen}: {evidence}); calls across the broken path failed or hung.',
  runbook: [
    {
      title:
        'Check network reachability from {component} to {target} (ping, traceroute, nc) and find the failing link, zone or firewall/security-group change',
      detail: 'Partial loss between two zones often shows as timeouts on one side and resets on the other.',
      priority: 1,
    },
    {
      title: 'Fail traffic of {component} over to healthy zones / route around the broken network path',
      detail: 'Drain the instances on the wrong side of the partition.',
      priority: 1,
    },
    {
      title:
        'Verify that {target} is listening (process up, port open): connection refused usually means the peer is down, not the network',
      detail: 'Restart the peer if it is down.',
      priority: 2,
    },
    {
      title: 'After connectivity returns, check clustered services for split-brain and reconcile their state',
      detail: 'Leader election and quorum logs tell which side accepted writes.',
      priority: 3,
    },
    {
      title: 'Add synthetic connectivity probes between {component} and {target}',
      detail: 'Measure loss and latency per zone pair.',
      priority: 4,
    },
  ],
};

export const upstreamTimeout: FailureCategory = {
  id: 'upstream_timeout',
  title: 'Upstream dependency timeout',
  role: 'symptom',
  failing: 'target',
  signatures: [
    {
      pattern:
        /timed? ?out|timeout|deadline exceeded|\bETIMEDOUT\b|\bESOCKETTIMEDOUT\b|gateway time-?out|\b504\b|operation timed out/i,
      weight: 1.0,
    },
    { pattern: /circuit.?breaker .{0,40}(open|tripped)|breaker (opened|tripped)/i, weight: 1.0 },
    { pattern: /\bretry(ing)?\b|attempt \d+\/\d+|retries exhausted/i, weight: 0.5 },
  ],
  keywords: /timeout|timed out|slow|latency|deadline/i,
  targetKeys: ['upstream', 'peer', 'dependency', 'target', 'provider'],
  targets: [URL_HOST, /upstream[ :"']+([\w.-]+)/i, /(?:calling|call to|request to) "?([\w-]+(?:\.[\w-]+)*)/i],
  defaultTarget: 'its upstream dependency',
  explanation:
    'Calls from {component} to {target} are timing out (first at {first_seen}: {evidence}); no failure inside our own stack precedes them, so {target} itself is slow or unavailable.',
  runbook: [
    {
      title: 'Check the health, status page and latency of {target} and confirm whether the slowness is on its side',
      detail: 'Compare latency of {target} seen from several callers and regions.',
      priority: 1,
    },
    {
      title:
        'Open the circuit breaker / enable the fallback in {component} for calls to {target} so requests fail fast',
      detail: 'Serve cached or degraded responses rather than hanging on the dependency.',
      priority: 1,
    },
    {
      title:
        "Lower the timeout of {component} for {target} below its callers' timeout and cap retries with jittered backoff",
      detail: 'Unbounded retries against a slow dependency turn slowness into a retry storm.',
      priority: 2,
    },
    {
      title: 'Escalate to the owners or vendor of {target}; fail over to a secondary region or provider if one exists',
      detail: 'Share request ids and timestamps of failed calls.',
      priority: 2,
    },
    {
      title: 'Alert on latency percentiles and error rate of {target} as seen from {component}',
      detail: 'Dependency SLOs make the next slowdown visible before users report it.',
      priority: 4,
    },
  ],
};

export const rateLimiting: FailureCategory = {
  id: 'rate_limiting',
  title: 'Rate limiting / quota exhaustion',
  role: 'cause',
  failing: 'component',
  signatures: [
    {
      pattern:
        /\b429\b|too many requests|rate.?limit(ed| exceeded| reached| hit)|quota (exceeded|exhausted|reached)|\b(requests?|calls?) (are |were |being )?throttled|ThrottlingException|RequestLimitExceeded|x-ratelimit-remaining:? ?0\b/i,
      weight: 1.5,
    },
  ],
  metrics: [{ name: /(quota|rate.?limit)[\w.]*(used|usage|util)/i, above: 95, weight: 1 }],
  keywords: /rate.?limit|quota|throttl|\b429\b/i,
  targetKeys: ['upstream', 'provider', 'api', 'dependency', 'target'],
  targets: [URL_HOST, /(?:from|by) "?([\w-]+(?:\.[\w-]+)+)/i],
  defaultTarget: 'the rate-limited API',
  explanation:
    '{component} exceeded the rate limit / quota of {target} (first at {first_seen}: {evidence}); throttled calls failed.',
  runbook: [
    {
      title:
        'Reduce the request rate of {component} to {target}: pause batch jobs, enable client-side rate limiting and honour Retry-After',
      detail: 'Throttled requests that are retried immediately keep the quota exhausted.',
      priority: 1,
    },
    {
      title:
        'Request a rate limit / quota increase for {target}, or spread load across the keys or accounts you are allowed to use',
      detail: 'Check whether the limit was lowered on the provider side.',
      priority: 2,
    },
    {
      title: 'Cache or batch the calls of {component} to {target} to cut request volume',
      detail: 'Identical lookups within a short window rarely need separate calls.',
      priority: 2,
    },
    {
      title: 'Back off exponentially with jitter on 429 responses in {component} instead of retrying at once',
      detail: 'Synchronized retries hit the limit again at the start of every window.',
      priority: 3,
    },
    {
      title: 'Alert on the quota usage of {target} before the rate limit is reached',
      detail: 'Most providers report remaining quota in response headers.',
      priority: 4,
    },
  ],
};
