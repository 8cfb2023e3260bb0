// Whether a browser request comes from a page this server may trust: its own, or one CORS_ORIGINS names.

/** Whether `origin` (an Origin header) is the server's own (a page it served itself), by host and port. */
export function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * Whether a request comes from no page of another origin: its browser says `Sec-Fetch-Site: same-origin` (a page
 * cannot set Sec-* headers: Fetch, forbidden request headers), or its `Origin` is the server's own or allowed, or
 * absent (not a browser's cross-origin request) unless `Sec-Fetch-Site` says it came from another site. The
 * browser's word comes first because behind a proxy that rewrites Host (nginx's default, Vite's dev proxy) the
 * console's Origin and the Host it reaches differ.
 */
export const trustedOrigin = (
  headers: { origin: string | undefined; host: string | undefined; secFetchSite: string | undefined },
  allowedOrigins: readonly string[],
): boolean =>
  headers.secFetchSite === 'same-origin' ||
  (headers.origin === undefined
    ? headers.secFetchSite !== 'cross-site' && headers.secFetchSite !== 'same-site'
    : sameOrigin(headers.origin, headers.host) || allowedOrigins.includes(headers.origin));
