// Failure categories of databases and caches: connection pools, replication, locks, cache outages.
import type { FailureCategory } from './types.js';

export const dbConnectionExhaustion: FailureCategory = {
  id: 'db_connection_exhaustion',
  title: 'Database connection exhaustion',
  role: 'cause',
  failing: 'component',
  signatures: [
    {
      pattern: /(connection )?pool (is )?(exhausted|depleted|saturated)|exhausted (the )?(connection )?pool/i,
      weight: 1.5,
    },
    {
      pattern:
        /too many (clients|connections)|remaining connection slots are reserved|max_connections|ER_CON_COUNT_ERROR/i,
      weight: 1.5,
    },
    {
      pattern:
        /(could not|unable to|failed to) (obtain|acquire|get|checkout) (a )?(database |db |jdbc |pooled )?connection|timed? ?out (waiting )?(for|to acquire|acquiring) (a )?(database |db |pooled )?connection|connection is not available, request timed out/i,
      weight: 1.3,
    },
    { pattern: /pool.{0,40}(waiting|pending)=\d{2,}/i, weight: 0.8 },
  ],
  metrics: [
    { name: /(pool|db|database|pg|postgres|mysql)[\w.]*(waiting|pending)/i, above: 10, weight: 1 },
    {
      name: /(pool|db|database|pg|postgres|mysql)[\w.]*conn[\w.]*(util|usage|used)[\w.]*(pct|percent)/i,
      above: 95,
      weight: 1,
    },
  ],
  keywords: /connection pool|too many (clients|connections)|max_connections|db connections?/i,
  targetKeys: ['db', 'database', 'datastore', 'db_host'],
  defaultTarget: 'its database',
  explanation:
    '{component} exhausted its database connection pool to {target} (first at {first_seen}: {evidence}); requests queued for a connection until they timed out.',
  untargetedExplanation:
    '{component} ran out of database connections (first at {first_seen}: {evidence}); requests queued for a connection until they timed out.',
  runbook: [
    {
      title:
        'Find and terminate the long-running, blocked or idle-in-transaction sessions holding connections on {target}',
      detail:
        'Use pg_stat_activity / SHOW PROCESSLIST on {target}; sessions idle in transaction or waiting on locks keep pool connections checked out.',
      priority: 1,
    },
    {
      title:
        'Raise the connection pool size of {component} (within the max_connections of {target}) or find the connection leak',
      detail:
        'Compare active/idle/waiting connections of {component}; a pool that stays full at low traffic means connections are not returned.',
      priority: 2,
    },
    {
      title: 'Restart the {component} instances whose connection pools are saturated to release leaked connections',
      detail: 'Roll the restart one instance at a time so that capacity is kept.',
      priority: 2,
    },
    {
      title:
        'Put a connection pooler (e.g. PgBouncer) in front of {target} and give {component} a pool acquire timeout shorter than its request timeout',
      detail: 'Fail fast when no connection is available instead of piling up requests that will time out upstream.',
      priority: 3,
    },
    {
      title: 'Alert on waiting/pending pool connections of {component} before the pool is exhausted',
      detail: 'Pool saturation precedes the timeouts by minutes; alert on it, not only on 5xx.',
      priority: 4,
    },
  ],
};

export const replicationLag: FailureCategory = {
  id: 'replication_lag',
  title: 'Replication lag',
  role: 'cause',
  failing: 'target',
  signatures: [
    {
      pattern:
        /replication (lag|delay)|replica(tion)? (is )?(lagging|delayed|behind)|seconds.behind.(master|primary|source)|(wal|binlog|oplog) (receiver|replay|apply).{0,30}(delay|behind|lag)|replica .{0,40}\bbehind\b/i,
      weight: 1.5,
    },
    { pattern: /stale read|read-after-write|replica (out of date|not caught up)/i, weight: 0.5 },
  ],
  metrics: [{ name: /(replica|replication|slave)[\w.]*(lag|delay|behind)/i, above: 30, weight: 1.2 }],
  keywords: /replica|replication|stale (data|read)|out of date/i,
  targetKeys: ['replica', 'db', 'database'],
  targets: [/\b([\w-]*replica[\w-]*)/i],
  defaultTarget: 'the read replica',
  explanation:
    'Replication to {target} fell behind (first at {first_seen}: {evidence}), so every read served from it returns stale data.',
  runbook: [
    {
      title: 'Route reads that need fresh data away from {target} to the primary until the replica catches up',
      detail: 'Temporarily point read-your-writes paths at the primary; watch the primary load while doing so.',
      priority: 1,
    },
    {
      title:
        'Find what slows replay on {target}: long queries conflicting with replay, I/O saturation, or a write burst / migration on the primary',
      detail: 'Check replay conflicts, disk I/O on {target} and large transactions on the primary around the onset.',
      priority: 2,
    },
    {
      title: 'Pause or throttle bulk writes and batch jobs on the primary that feeds {target}',
      detail: 'Replication lag only shrinks when replay outpaces new writes.',
      priority: 2,
    },
    {
      title: 'Rebuild {target} from a fresh base backup or snapshot if it cannot catch up',
      detail: 'Take it out of the read pool while rebuilding.',
      priority: 3,
    },
    {
      title: 'Alert on the replication lag of {target} and take lagging replicas out of the read pool automatically',
      detail: 'Lag-aware routing turns a stale-data incident into a capacity warning.',
      priority: 4,
    },
  ],
};

export const cacheOutage: FailureCategory = {
  id: 'cache_outage',
  title: 'Cache outage',
  role: 'cause',
  failing: 'target',
  signatures: [
    {
      pattern:
        /\b(redis|memcached?|valkey|cache)\b.{0,60}(connection refused|econnrefused|econnreset|unavailable|is down|unreachable|connection (lost|closed|failed)|failed to connect|maxmemory|oom command not allowed)/i,
      weight: 1.4,
    },
    {
      pattern:
        /(connection refused|econnrefused|could not connect|cannot connect|econnreset).{0,60}(redis|memcache|cache|:6379|:11211)/i,
      weight: 1.4,
    },
    { pattern: /CLUSTERDOWN|LOADING Redis is loading|READONLY You can't write|MISCONF Redis/, weight: 1.3 },
    {
      pattern:
        /cache (unavailable|miss(es)?|lookup failed).{0,40}fall(ing)? ?back|falling back to (the )?(database|db|origin|source)/i,
      weight: 0.6,
    },
  ],
  metrics: [
    { name: /cache[\w.]*hit[\w.]*ratio/i, below: 0.5, weight: 0.8 },
    { name: /(redis|memcache|cache)[\w.]*(up|available|connected)$/i, below: 1, weight: 1 },
  ],
  keywords: /redis|memcache|\bcache\b/i,
  targetKeys: ['cache', 'redis', 'cache_host'],
  targets: [/\b([\w-]*(?:redis|cache|memcache)[\w-]*)(?::\d+)/i],
  defaultTarget: 'its cache',
  explanation:
    '{target} became unavailable to {component} (first at {first_seen}: {evidence}); cache misses fell through to the backing store and overloaded it.',
  untargetedExplanation:
    '{component} lost its cache (first at {first_seen}: {evidence}); cache misses fell through to the backing store and overloaded it.',
  runbook: [
    {
      title:
        'Restore {target}: check its node/pod status, memory (maxmemory, evictions) and restart it or fail over to a replica',
      detail: 'A cache that refuses connections is usually down, restarting, or out of memory.',
      priority: 1,
    },
    {
      title:
        'Shield the database behind {component} from the cache-miss stampede: rate-limit cache-miss traffic and coalesce identical requests',
      detail: 'Without the cache the backing store sees the full read load at once.',
      priority: 1,
    },
    {
      title:
        'Give {component} short connect timeouts and a circuit breaker around calls to {target} so it degrades gracefully',
      detail: 'Waiting on a dead cache adds its timeout to every request.',
      priority: 2,
    },
    {
      title: 'Warm {target} before restoring full traffic after recovery',
      detail: 'Preload hot keys so the miss rate does not spike again.',
      priority: 3,
    },
    {
      title: 'Alert on availability and hit ratio of {target}',
      detail: 'A falling hit ratio warns before the backing store is overloaded.',
      priority: 4,
    },
  ],
};

export const dbLockContention: FailureCategory = {
  id: 'db_lock_contention',
  title: 'Database lock contention / deadlocks',
  role: 'cause',
  failing: 'target',
  signatures: [
    {
      pattern:
        /deadlock (detected|found)|lock wait timeout exceeded|could not obtain lock|canceling statement due to lock timeout|waiting for (a )?(table )?(metadata )?lock|(AccessExclusive|ShareRowExclusive|Share)Lock|lock contention/i,
      weight: 1.5,
    },
  ],
  keywords: /deadlock|lock wait|\blocks?\b|blocked quer/i,
  targetKeys: ['db', 'database', 'table'],
  targets: [/\b(?:table|relation) "?([\w.-]+)"?/i],
  defaultTarget: 'its database',
  explanation:
    'Transactions in {target} are blocking each other on locks (first at {first_seen}: {evidence}); blocked requests pile up and time out.',
  runbook: [
    {
      title: 'Find the blocking sessions on {target} (pg_locks / SHOW ENGINE INNODB STATUS) and terminate the blocker',
      detail: 'One long transaction holding a lock can stall every writer behind it.',
      priority: 1,
    },
    {
      title: 'Stop or postpone the migration or batch job that takes long locks on {target}',
      detail: 'DDL and bulk updates are the usual holders of long locks.',
      priority: 1,
    },
    {
      title:
        'Make the transactions that touch {target} lock rows in a consistent order and stay short, to avoid deadlocks',
      detail: 'Deadlocks come from two transactions taking the same locks in opposite order.',
      priority: 2,
    },
    {
      title: 'Set lock_timeout and statement timeouts for the application transactions on {target}',
      detail: 'Fail fast instead of waiting behind a lock until the request times out.',
      priority: 3,
    },
    {
      title: 'Run schema migrations on {target} with online / non-blocking DDL',
      detail: 'e.g. CREATE INDEX CONCURRENTLY, pt-online-schema-change, gh-ost.',
      priority: 4,
    },
  ],
};
