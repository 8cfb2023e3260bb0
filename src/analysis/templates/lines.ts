// Whole log lines, as `warroom templates FILE` reads them, carry more than the message the template miner is for:
// structured lines wrap it in fields, and syslog puts a header (time, host) in front of it. This reduces a line to its
// message by rules that hold for any source writing those two conventions; other lines pass through unchanged.

/** Fields structured loggers put the message in (pino, bunyan, zap, logrus, structlog, Serilog, Go slog). */
const MESSAGE_FIELDS = ['msg', 'message', 'event', 'MessageTemplate', 'log'];
/** Fields they put the level in. */
const LEVEL_FIELDS = ['level', 'lvl', 'severity', 'levelname', 'Level'];

/**
 * RFC 3164 (`Nov 29 16:00:01 host tag[pid]: …`, with an optional `<PRI>`) and RFC 5424-style ISO timestamps
 * followed by a host and a `tag:` / `tag[pid]:`: the timestamp and host are header, not message. The tag stays: it
 * names the program, which is part of what a line means.
 */
const SYSLOG_HEADER =
  /^(?:<\d{1,3}>\d?\s*)?(?:[A-Z][a-z]{2} [ \d]?\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})) +\S+ +(?=[\w./-]+(?:\[\d+\])?: )/;

/**
 * The message of one log line: for a JSON object with a message field, its level and message (the other fields are
 * the event's parameters, which a structured logger keeps out of the message by design); for a syslog line, the
 * line without its timestamp and host; otherwise the line itself.
 */
export function lineMessage(line: string): string {
  const trimmed = line.trim();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    const structured = structuredMessage(trimmed);
    if (structured !== undefined) return structured;
  }
  return line.replace(SYSLOG_HEADER, '');
}

function structuredMessage(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = value as Record<string, unknown>;
  const message = MESSAGE_FIELDS.map((f) => fields[f]).find((v): v is string => typeof v === 'string');
  if (message === undefined) return undefined;
  const level = LEVEL_FIELDS.map((f) => fields[f]).find((v) => typeof v === 'string' || typeof v === 'number');
  return level === undefined ? message : `${String(level)} ${message}`;
}
