// The name a responder gives in the room on an open server (no API keys): kept in localStorage, spoken under in the
// chat, and sent as the `actor` of the changes they make so the timeline says who moved what, not "system". With a
// key the server records the key's name whatever is sent (src/trpc/context.ts, actorOf).
import { storedKey } from './access.js';

const NAME_ITEM = 'warroom.userName';

/** The name this browser chats under when no key names it. */
export function savedName(): string | undefined {
  return localStorage.getItem(NAME_ITEM) ?? undefined;
}

export function rememberName(name: string): void {
  localStorage.setItem(NAME_ITEM, name);
}

/** `{ actor }` for a change's input while no key is in use and a name was given; otherwise nothing. */
export function actorField(): { actor?: string } {
  const name = storedKey() === undefined ? savedName()?.trim() : undefined;
  return name ? { actor: name.slice(0, 100) } : {};
}
