// fetch bound to one server, with a `json` shorthand that sends a JSON body (POST unless a method is given).
export type Api = (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>;

export function apiFor(baseUrl: string): Api {
  return (path, init = {}) => {
    const { json, ...rest } = init;
    if (json === undefined) return fetch(`${baseUrl}${path}`, rest);
    return fetch(`${baseUrl}${path}`, {
      ...rest,
      method: rest.method ?? 'POST',
      headers: { 'content-type': 'application/json', ...(rest.headers ?? {}) },
      body: JSON.stringify(json),
    });
  };
}
