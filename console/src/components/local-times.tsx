// Text the server wrote with ISO-8601 times in it (the analysis: "affected since 2026-03-10T09:14:02Z"), shown with
// each time in the reader's locale and time zone. Only the rendering changes: the stored text keeps its UTC times,
// which stay in each <time>'s datetime (and its tooltip) for anyone comparing with logs.
import { formatTime } from '../format.js';

/** An ISO-8601 date and time with seconds or minutes, optional fraction, and a zone (Z or an offset). */
const ISO_TIME = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})(?!\w)/g;

/** `text` with its ISO times as local <time> elements. */
export function LocalTimes({ text }: { text: string }) {
  const parts: Array<string | { iso: string }> = [];
  let at = 0;
  for (const m of text.matchAll(ISO_TIME)) {
    const index = m.index;
    if (Number.isNaN(Date.parse(m[0]))) continue;
    parts.push(text.slice(at, index), { iso: m[0] });
    at = index + m[0].length;
  }
  if (parts.length === 0) return <>{text}</>;
  parts.push(text.slice(at));
  return (
    <>
      {parts.map((p, i) =>
        typeof p === 'string' ? (
          p
        ) : (
          <time key={i} dateTime={p.iso} title={p.iso}>
            {formatTime(p.iso)}
          </time>
        ),
      )}
    </>
  );
}
