// How far V8 lets the JavaScript heap grow between full collections, set once when the server starts.
import { setFlagsFromString } from 'node:v8';

/**
 * Caps V8's heap growing factor at `1 + percent / 100` (V8's `--heap-growing-percent`): after each full collection
 * the next one is due once the old generation reaches that multiple of what survived. `0` leaves V8's own factor.
 *
 * Why: V8 picks a factor of up to 4 while the mutator is busy, and under load most of what it promotes is garbage
 * (requests in flight across a database round trip outlive two scavenges), so the old generation grew to 120-130
 * MiB over 20 MiB of live data and its pages stayed mapped after the load ended: the server's RSS went from 79 MiB
 * idle to 237-258 MiB after a read load (3.0-3.1x). Measured on that load (docs/performance.md, 2026-11-30): 30%
 * ends it at 1.90x idle, 50% at 1.97x, 100% at 2.22x. The price is collector work: server CPU per 500-event batch,
 * interleaved A/B, 6 rounds: +7% at 50, +15% at 30 (GET +3.5% at 30); throughput moved within the noise. 50 keeps
 * nearly all of the memory for half the CPU of 30.
 *
 * The flag is read at each collection, so setting it at run time takes effect for the main thread and the analysis
 * thread alike (flags are per process). Node documents `v8.setFlagsFromString` as "use with care"; this flag only
 * tunes a heuristic, and an unknown flag (a future V8 without it) is reported on stderr and ignored, rather than failing start-up as an
 * unknown command-line option would.
 */
export function capHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
