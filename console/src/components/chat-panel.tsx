// The room chat: who is here, what was said (comment entries of the timeline), and a box to speak. With keys, the
// key's name speaks; without, the name given here (kept in localStorage for next time).
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { storedKey } from '../access.js';
import { formatTime } from '../format.js';
import type { TimelineEntry } from '../model.js';
import { NotAllowed, usePermissions } from '../permissions.js';
import { rememberName } from '../responder-name.js';

interface Props {
  timeline: readonly TimelineEntry[];
  present: readonly string[];
  name: string | undefined;
  onName: (name: string) => void;
  say: (user: string, message: string) => boolean;
  roomError: string | undefined;
}

/** The chat section. */
export function ChatPanel({ timeline, present, name, onName, say, roomError }: Props) {
  const [draft, setDraft] = useState('');
  const [nameDraft, setNameDraft] = useState(name ?? '');
  const [notSent, setNotSent] = useState(false);
  const keyed = storedKey() !== undefined;
  const { can, known } = usePermissions();
  const messages = useMemo(() => timeline.filter((e) => e.entry_type === 'comment').slice(-100), [timeline]);
  const listRef = useRef<HTMLOListElement>(null);
  // Whether the reader is at the newest message: then new ones scroll into view; scrolled up to read, they do not.
  const atEnd = useRef(true);
  const lastId = messages.at(-1)?.id;
  useEffect(() => {
    const el = listRef.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [lastId]);

  const send = (e: FormEvent): void => {
    e.preventDefault();
    const text = draft.trim();
    if (!text) return;
    // With a key the server names the speaker; the field is still required by the frame.
    const ok = say(name ?? 'me', text);
    setNotSent(!ok);
    if (ok) setDraft('');
  };
  const saveName = (e: FormEvent): void => {
    e.preventDefault();
    const n = nameDraft.trim();
    if (!n) return;
    rememberName(n);
    onName(n);
  };

  return (
    <section className="card chat" aria-labelledby="chat-heading">
      <h2 id="chat-heading">Room</h2>
      <p data-testid="presence">
        <span className="muted">Here now:</span> {present.length === 0 ? 'nobody named yet' : present.join(', ')}
      </p>
      <ol
        ref={listRef}
        className="messages"
        aria-live="polite"
        aria-label="Messages"
        data-testid="messages"
        onScroll={(e) => {
          const el = e.currentTarget;
          atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {messages.map((m) => (
          <li key={m.id}>
            <strong>{m.actor}</strong> <span className="muted small">{formatTime(m.timestamp)}</span>
            <div>{m.description}</div>
          </li>
        ))}
      </ol>
      {!known ? (
        // Held in place, disabled, while the key's scopes are asked for: a box appearing only once they arrive
        // moved the timeline and events below it down by its height (~58 px) on every page load.
        <form className="inline-form" aria-busy="true" onSubmit={(e) => e.preventDefault()}>
          <label htmlFor="chat-message">Message</label>
          <input id="chat-message" disabled autoComplete="off" />
          <button type="submit" disabled>
            Send
          </button>
        </form>
      ) : !can('write') ? (
        <NotAllowed what="speak in the room (listening is fine)" scope="write" />
      ) : !keyed && !name ? (
        <form onSubmit={saveName} className="inline-form">
          <label htmlFor="chat-name">Your name in the room</label>
          <input id="chat-name" value={nameDraft} maxLength={100} onChange={(e) => setNameDraft(e.target.value)} />
          <button type="submit">Join</button>
        </form>
      ) : (
        <form onSubmit={send} className="inline-form">
          <label htmlFor="chat-message">Message{name && !keyed ? ` as ${name}` : ''}</label>
          <input
            id="chat-message"
            value={draft}
            maxLength={4000}
            onChange={(e) => setDraft(e.target.value)}
            autoComplete="off"
          />
          <button type="submit">Send</button>
        </form>
      )}
      {(notSent || roomError) && (
        <p className="error" role="alert">
          {notSent ? 'Not sent: the room is reconnecting. Your message is kept; send it again in a moment.' : roomError}
        </p>
      )}
    </section>
  );
}
