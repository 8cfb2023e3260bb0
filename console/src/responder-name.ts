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

/**
 * `{ actor }` for a change's input while no key is in use and this tab's responder gave a name; otherwise nothing.
 * The tab's name, not savedName(): localStorage is shared by every tab, and the last name given in any of them is
 * not who is clicking in this one.
 */
export function actorField(name: string | undefined): { actor?: string } {
  const actor = storedKey() === undefined ? name?.trim() : undefined;
  // 100 characters as the API counts them (code points): slicing UTF-16 units could end on half an emoji, which
  // the API refuses as text PostgreSQL cannot store.
  return actor ? { actor: Array.from(actor).slice(0, 100).join('') } : {};
}
