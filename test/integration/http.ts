// fetch bound to one server, with a `json` shorthand that sends a JSON body (POST unless a method is given).
export type Api = (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>;
type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/** `send` is the network's fetch by default, or the app's own `request` for an in-process server. */
export function apiFor(baseUrl: string, send: Fetch = fetch): Api {
  return (path, init = {}) => {
    const { json, ...rest } = init;
    if (json === undefined) return send(`${baseUrl}${path}`, rest);
    return send(`${baseUrl}${path}`, {
      ...rest,
      method: rest.method ?? 'POST',
      headers: { 'content-type': 'application/json', ...(rest.headers ?? {}) },
      body: JSON.stringify(json),
    });
  };
}
