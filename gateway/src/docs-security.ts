/**
 * What the pages for people (/docs, /problems) send so that a browser runs only what the
 * gateway serves: scripts and styles from this origin alone (Swagger UI sets inline styles, and
 * shows data: images), no plugins, no <base>, no framing by other sites (clickjacking), and no
 * Referer leaking the page's URL. `nosniff` is on every response (cachePolicy).
 */
export const DOCS_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
};
