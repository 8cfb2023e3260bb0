// Failure categories of host and container resources: disk, memory, CPU, file descriptors.
import type { FailureCategory } from './types.js';

export const diskFull: FailureCategory = {
  id: 'disk_full',
  title: 'Disk full',
  role: 'cause',
  failing: 'target',
  signatures: [
    {
      pattern:
        /no space left on device|ENOSPC|disk (is )?full|disk quota exceeded|file ?system .{0,40}(is )?full|out of disk( space)?|insufficient (disk|storage) space|not enough space on the disk/i,
      weight: 1.5,
    },
    {
      pattern:
        /flood.stage disk watermark|high disk watermark|read.only.{0,20}allow.delete|low disk space|disk ?pressure|disk usage (exceeded|above|over|is at)|volume .{0,30}(almost|nearly) full/i,
      weight: 1.3,
    },
    { pattern: /could not (write|extend) (to )?file|write failed.{0,30}(disk|device)/i, weight: 0.7 },
  ],
  metrics: [
    { name: /(disk|fs|filesystem|volume|storage|pvc)[\w.]*(used|usage|util)/i, above: 90, weight: 1.2 },
    { name: /(disk|fs|filesystem|volume|storage)[\w.]*(free|avail)[\w.]*(pct|percent)/i, below: 10, weight: 1.2 },
  ],
  keywords: /\bdisk\b|no space|storage full|volume full|\bENOSPC\b/i,
  targetKeys: ['node', 'host', 'instance', 'volume', 'mount', 'device'],
  targets: [/exceeded on \[([\w.-]+)\]/i, /\bon (?:host|node) \[?([\w.-]+)\]?/i],
  defaultTarget: 'the host',
  explanation:
    'Disk space ran out on {target} (first at {first_seen}: {evidence}); writes by {component} failed from then on.',
  runbook: [
    {
      title:
        'Free disk space on {target}: delete or compress old logs, temp files and core dumps, or expand the volume',
      detail:
        'Get below the high watermark first; expanding the volume is the fastest safe option when nothing can be deleted.',
      priority: 1,
    },
    {
      title:
        'Find what filled the disk of {target} (du -xh --max-depth=1, largest indices/tables) and stop the runaway writer',
      detail:
        'A sudden fill is usually one writer: debug logging, a stuck WAL archiver, an unbounded index or a temp-file leak.',
      priority: 1,
    },
    {
      title:
        'Once disk space is free, clear the write blocks (e.g. index.blocks.read_only_allow_delete, read-only remounts) and restart the writers of {component}',
      detail: 'Some systems stay read-only after the disk recovers until the block is lifted by hand.',
      priority: 2,
    },
    {
      title: 'Set retention on {target} (log rotation, ILM, WAL archiving cleanup) so the disk cannot fill again',
      detail: 'Retention must be bounded by size, not only by age.',
      priority: 3,
    },
    {
      title: 'Alert on disk usage of {target} at 80% and on its fill rate',
      detail: 'A forecast ("full in 4 h") leaves time to act.',
      priority: 4,
    },
  ],
};

export const memoryExhaustion: FailureCategory = {
  id: 'memory_exhaustion',
  title: 'Memory exhaustion / OOM kill',
  role: 'cause',
  failing: 'component',
  signatures: [
    {
      pattern:
        /OOMKilled|out of memory|OutOfMemoryError|\boom[-_ ]?kill(er|ed)?\b|Killed process \d+|memory cgroup out of memory|heap out of memory|cannot allocate memory|\bENOMEM\b|GC overhead limit exceeded|memory ?pressure/i,
      weight: 1.6,
    },
    { pattern: /exit(ed)? (with )?(code|status):? 137|signal: killed|reason: ?OOM/i, weight: 1.0 },
    { pattern: /memory (usage|limit|consumption) .{0,30}(exceed|above|over|reached|high)/i, weight: 1.0 },
  ],
  metrics: [{ name: /(mem|memory|heap|rss)[\w.]*(used|usage|util)/i, above: 90, weight: 1.2 }],
  keywords: /\bmemory\b|\bOOM|out of memory|heap/i,
  targetKeys: ['container', 'pod'],
  targets: [/container "?([\w-]+)"? .{0,30}OOMKilled/i, /Killed process \d+ \(([\w.-]+)\)/i],
  defaultTarget: 'its containers',
  explanation:
    '{component} ran out of memory and was OOM-killed (first at {first_seen}: {evidence}); the restarts dropped in-flight work and capacity.',
  runbook: [
    {
      title: 'Raise the memory limit of {component} or scale it out to stop the OOM kills',
      detail: 'Buys time; check the node has room for the larger limit.',
      priority: 1,
    },
    {
      title: 'Roll back {component} if a recent release increased its memory use',
      detail: 'Compare memory per instance before and after the last deploy.',
      priority: 2,
    },
    {
      title: 'Take a heap profile / heap dump of {component} to find the leak or oversized allocation',
      detail: 'Look for unbounded caches, large batch loads and buffers that grow with input size.',
      priority: 2,
    },
    {
      title: 'Bound in-memory buffers, caches and batch sizes in {component}',
      detail: 'Memory use should not depend on the size of a single request or job.',
      priority: 3,
    },
    {
      title: 'Alert on the memory usage of {component} relative to its limit and on OOMKilled restarts',
      detail: 'Alert at 85% of the limit, not on the kill.',
      priority: 4,
    },
  ],
};

export const cpuSaturation: FailureCategory = {
  id: 'cpu_saturation',
  title: 'CPU saturation',
  role: 'cause',
  failing: 'component',
  signatures: [
    {
      pattern:
        /cpu (usage|utili[sz]ation|load) (is )?(high|above|over|at|exceed)|high cpu|cpu throttl|throttled .{0,40}(periods|cpu)|CPUThrottlingHigh|load average .{0,30}(high|above|exceed)|thread (pool )?starvation|event loop (blocked|lag|delay)/i,
      weight: 1.3,
    },
  ],
  metrics: [
    { name: /cpu[\w.]*(usage|util|used|percent|pct|busy|load)/i, above: 90, weight: 1.2 },
    { name: /cpu[\w.]*throttl/i, above: 50, weight: 1.0 },
    { name: /event[\w.]*loop[\w.]*(lag|delay)/i, above: 500, weight: 1.0 },
  ],
  keywords: /\bcpu\b|processor|load average|throttl/i,
  targetKeys: ['host', 'node', 'instance', 'pod'],
  defaultTarget: 'its hosts',
  explanation:
    '{component} saturated its CPU on {target} (first at {first_seen}: {evidence}); requests queued behind busy workers and slowed down.',
  runbook: [
    {
      title: 'Scale out {component} (more replicas or larger instances) to relieve the CPU saturation',
      detail: 'Capacity first, diagnosis second: saturated CPU makes every request slower.',
      priority: 1,
    },
    {
      title: 'Raise or remove the CPU limit of {component} if it is being throttled',
      detail: 'CFS throttling shows as latency long before utilisation reaches 100%.',
      priority: 2,
    },
    {
      title:
        'Profile {component} (CPU flame graph) and check for a traffic spike, retry storm or runaway job on {target}',
      detail: 'Compare request rate with CPU: more CPU per request means a code or data change.',
      priority: 2,
    },
    {
      title: 'Shed or rate-limit expensive requests to {component} until CPU capacity recovers',
      detail: 'Protect the critical paths first.',
      priority: 3,
    },
    {
      title: 'Set up CPU-based autoscaling for {component}',
      detail: 'Scale at ~70% so there is headroom for spikes.',
      priority: 4,
    },
  ],
};

export const fdExhaustion: FailureCategory = {
  id: 'fd_exhaustion',
  title: 'File descriptor / socket exhaustion',
  role: 'cause',
  failing: 'component',
  signatures: [
    {
      pattern:
        /too many open files|\bEMFILE\b|\bENFILE\b|file descriptors? (limit|exhausted)|ephemeral ports? (exhausted|exhaustion)|cannot assign requested address|\bEADDRNOTAVAIL\b|no buffer space available/i,
      weight: 1.6,
    },
  ],
  metrics: [{ name: /(open[\w.]*(fds|files|file_descriptors)|fd[\w.]*(usage|used|util))/i, above: 90, weight: 0.8 }],
  keywords: /file descriptor|open files|ulimit|ephemeral port/i,
  targetKeys: ['host', 'instance', 'pod'],
  defaultTarget: 'its hosts',
  explanation:
    '{component} ran out of file descriptors / sockets (first at {first_seen}: {evidence}); it could no longer accept or open connections.',
  runbook: [
    {
      title: 'Raise the open file limit (ulimit -n / LimitNOFILE) of {component} and restart it',
      detail: 'Restores service; a leak will hit the new limit again, so do the next step too.',
      priority: 1,
    },
    {
      title:
        'Find the file descriptor leak in {component}: count open sockets/files per process (lsof, /proc/<pid>/fd) and look for connections never closed',
      detail: 'A steadily rising descriptor count at constant traffic is a leak.',
      priority: 2,
    },
    {
      title: 'Enable keep-alive / connection reuse in {component} to cut socket churn',
      detail: 'Short-lived outbound connections also exhaust ephemeral ports (TIME_WAIT).',
      priority: 3,
    },
    {
      title: 'Alert on the open file descriptors of {component} relative to its limit',
      detail: 'Alert at 80% of the limit.',
      priority: 4,
    },
  ],
};
