import type { RequestHandler, Response } from 'express';

/**
 * How long caches may keep what we answer (RFC 9111), in one place. Without a policy a shared
 * cache may keep a 200 or a 404 by its own heuristics (RFC 9110 §15.1): a user's name after they
 * were erased, a list read with `X-Consistency: exact`, a 404 after the 201.
 */
export const CACHE_CONTROL = {
  /** The default: nothing is kept, by any cache (lists, counts, history, writes, problems...). */
  none: 'no-store',
  /**
   * A user's current state: only the client's own cache may keep it, must ask again before each
   * use (a cheap 304 when its ETag still matches), and intermediaries must not transform it (a
   * compressor would weaken the ETag that If-Match needs).
   */
  revalidatePrivately: 'private, no-cache, no-transform',
  /** Files that change only with a release of the service (the docs page's assets). */
  publicForADay: 'public, max-age=86400',
  /** Public, but asked again before each use: the docs page and the OpenAPI document. */
  publicRevalidated: 'public, no-cache',
} as const;

/**
 * First on every response: `Cache-Control: no-store` until a route chooses otherwise, and
 * `X-Content-Type-Options: nosniff`, so that a browser never takes a body for another type.
 */
export const cachePolicy: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', CACHE_CONTROL.none);
  res.set('X-Content-Type-Options', 'nosniff');
  next();
};

export function cacheFor(res: Response, policy: keyof typeof CACHE_CONTROL): Response {
  return res.set('Cache-Control', CACHE_CONTROL[policy]);
}
