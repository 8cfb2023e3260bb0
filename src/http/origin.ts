// Whether a browser request comes from a page this server may trust: its own, or one CORS_ORIGINS names.

/** Whether `origin` (an Origin header) is the server's own (a page it served itself), by host and port. */
export function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Whether a request's `Origin` is absent (not a browser's cross-origin request), the server's own, or allowed. */
export const trustedOrigin = (
  origin: string | undefined,
  host: string | undefined,
  allowedOrigins: readonly string[],
): boolean => origin === undefined || sameOrigin(origin, host) || allowedOrigins.includes(origin);
