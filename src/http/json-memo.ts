// A value's JSON text, remembered where it was already produced. A batch of events is serialised once for the
// INSERT (src/db/events.ts); the REST response is the same array, so the same text is sent instead of a second
// JSON.stringify of ~100 KB (~10% of a 500-event batch's server CPU, README "Performance").
// Only for values nobody mutates after they are remembered: the text must stay exactly JSON.stringify(value).
const memo = new WeakMap<object, string>();

export function rememberJson<T extends object>(value: T, json: string): T {
  memo.set(value, json);
  return value;
}

export function jsonText(value: unknown): string {
  return (typeof value === 'object' && value !== null ? memo.get(value) : undefined) ?? JSON.stringify(value);
}
