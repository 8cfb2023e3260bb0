// The one error the alert parsers throw. Transport-free on purpose: the HTTP layer decides it is a 400 and copies
// `issues` into the documented error body; nothing here knows of HTTP or tRPC.
export interface AlertPayloadIssue {
  /** Where the problem is, written as a person would: `alerts[3].labels`, `payload.summary`, `(input)`. */
  path: string;
  message: string;
}

/** A sender's payload that cannot be read as alerts; `issues` names each bad field. */
export class AlertPayloadError extends Error {
  override readonly name = 'AlertPayloadError';
  constructor(
    message: string,
    readonly issues: AlertPayloadIssue[],
  ) {
    super(message);
  }
}

/** `[3].level`, `status`, `alerts[0].labels`: the same path notation as the API's error body. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out === '' ? '(input)' : out;
}

/** An AlertPayloadError from one or more issues, its message listing them (`kind payload: path: message; ...`). */
export function alertPayloadError(what: string, issues: AlertPayloadIssue[]): AlertPayloadError {
  return new AlertPayloadError(`invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}
