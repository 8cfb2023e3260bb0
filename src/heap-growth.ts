// How far V8 lets the JavaScript heap grow between full collections, set once when the server starts.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/**
 * V8 lets its heap growing factor rise to 4 only when the old generation may reach 2 GiB or more (its
 * `MemoryController::MaxGrowingFactor`, src/heap/heap-controller.cc: 1.3 at 256 MiB rising linearly to 2 at just
 * under 2 GiB, then 4). Node sizes the heap from the machine's memory: 4 GiB here on 24 GiB.
 */
export const LARGE_HEAP_BYTES = 2 * 1024 ** 3;

/**
 * Sets V8's heap growing factor to `1 + percent / 100` (V8's `--heap-growing-percent`): after each full collection
 * the next one is due once the old generation reaches that multiple of what survived. The flag replaces V8's factor
 * in every mode, its memory-saving ones included (1.3 near the heap limit or in the memory reducer, 1.1 at minimum):
 * there the heap may grow a little more than V8 would choose, which only schedules collections (the heap limit is
 * enforced all the same). It is applied only on a heap whose limit (`heapLimit`, bytes, as `heap_size_limit`
 * reports it, young generation included) is at least LARGE_HEAP_BYTES, where V8 would otherwise allow up to 4x; on a
 * smaller heap V8's own ceiling is already 1.3-2x and is left alone. (An old generation of 2000-2047 MiB, V8 ceiling
 * 2, passes the check with the young generation counted: harmless, as the setting is at most 100.) `0` leaves V8's
 * factor everywhere. Returns whether it set it.
 *
 * Why: under load most of what V8 promotes is garbage (requests in flight across a database round trip outlive two
 * scavenges); at a factor near 4 the old generation grew to 120-130 MiB over ~20 MiB of live data and stayed
 * mapped after the load ended: the server's RSS went from 79 MiB idle to 237-258 MiB after a read load (3.0-3.1x).
 * Measured on that load (docs/performance.md, 2026-11-30): 30% ends it at 1.90x idle, 50% at 1.97x, 100% at 2.22x.
 * The price is collector work: server CPU per 500-event batch, interleaved A/B, 6 rounds: +7% at 50, +15% at 30 (GET
 * +3.5% at 30); throughput moved within the noise. 50 keeps nearly all of the memory for half the CPU of 30.
 *
 * The flag is read at each collection, so setting it at run time takes effect, for the analysis thread too (V8's
 * flags are per process; a reviewer measured both, docs/performance.md). Node documents `v8.setFlagsFromString` as
 * "use with care"; this flag only tunes a heuristic, and an unknown flag (a future V8 without it) is reported on
 * stderr and ignored, where an unknown command-line option would stop the process.
 */
export function capHeapGrowth(percent: number, heapLimit: number = getHeapStatistics().heap_size_limit): boolean {
  if (percent <= 0 || heapLimit < LARGE_HEAP_BYTES) return false;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return true;
}
