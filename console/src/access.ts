// The API key a responder signed in with: kept in sessionStorage (gone when the tab closes, never in a URL), sent as
// a bearer header. Components learn of a refused key through one window event, so any request can send them back
// to the sign-in.

const KEY_ITEM = 'warroom.apiKey';
const REFUSED_EVENT = 'warroom:refused';

/** The stored key, if any. */
export function storedKey(): string | undefined {
  return sessionStorage.getItem(KEY_ITEM) ?? undefined;
}

/** Keeps `key` for this tab's session. */
export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_ITEM, key);
}

/** Forgets the key (sign-out). */
export function forgetKey(): void {
  sessionStorage.removeItem(KEY_ITEM);
}

/** The Authorization header for the stored key; empty when signed out. */
export function authHeaders(): Record<string, string> {
  const key = storedKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** What the server said when it refused us. */
export interface Refusal {
  status: 401 | 403;
  message: string;
}

/** Tells the app a request was refused for want of a (valid, sufficient) key. */
export function reportRefusal(refusal: Refusal): void {
  window.dispatchEvent(new CustomEvent<Refusal>(REFUSED_EVENT, { detail: refusal }));
}

/** Calls `listener` on every refusal; returns the function that stops listening. */
export function onRefusal(listener: (refusal: Refusal) => void): () => void {
  const handler = (e: Event): void => {
    if (e instanceof CustomEvent) listener(e.detail as Refusal);
  };
  window.addEventListener(REFUSED_EVENT, handler);
  return () => window.removeEventListener(REFUSED_EVENT, handler);
}
