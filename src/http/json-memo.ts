// A value's JSON, remembered as UTF-8 bytes where it was already produced. A batch of events is serialised once
// for the INSERT (src/db/events.ts); the REST response is the same array, so the same bytes are sent instead of a
// second JSON.stringify of ~100 KB (~10% of a 500-event batch's server CPU, README "Performance").
// Only for values nobody mutates after they are remembered: the bytes must stay exactly JSON.stringify(value).
const memo = new WeakMap<object, Buffer<ArrayBuffer>>();

export function rememberJson<T extends object>(value: T, json: Buffer<ArrayBuffer>): T {
  memo.set(value, json);
  return value;
}

/**
 * The response body for a value. Remembered bytes go out as they are; anything else as JSON text. A large body is
 * better as bytes: node writes a string body by prepending the header text to it, so ~100 KB would be copied into
 * a new string, measured and encoded again (seen as ~3% of batch ingest's CPU under `perf`).
 */
export function jsonBody(value: unknown): string | Buffer<ArrayBuffer> {
  return (typeof value === 'object' && value !== null ? memo.get(value) : undefined) ?? JSON.stringify(value);
}
