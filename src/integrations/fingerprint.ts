// The identity of an alert that came without one: a hash of its labels, stable whatever order they arrive in.
import { createHash } from 'node:crypto';

/**
 * sha256 of a label set's canonical form, as 64 lowercase hex characters.
 *
 * Canonical form (exactly): the label pairs sorted by name, compared by UTF-16 code units (JavaScript's default
 * sort; names are unique so values never decide order), written as the JSON text of an array of two-element
 * arrays with no whitespace: `[["alertname","HighCPU"],["env","prod"]]`; the empty set is `[]`. JSON quoting keeps
 * names and values that contain `=`, `,` or quotes unambiguous. The bytes hashed are that text in UTF-8.
 *
 * Not Alertmanager's own fingerprint (a 64-bit FNV-1a over its label bytes): this is only used when the sender
 * sent none, so it never has to agree with one.
 */
export function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(pairs), 'utf8').digest('hex');
}
