import type { RequestHandler } from 'express';
import { problems } from './problem-catalog';

/**
 * HTTP's own methods (RFC 9110 §9, and PATCH from RFC 5789): a path that does not take one of
 * these answers 405 with `Allow`. Any other method (WebDAV's PROPFIND, a made-up one) no path of
 * ours takes: 501, wherever it is sent (RFC 9110 §15.6.2).
 */
export const HTTP_OWN_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
]);

/** Mounted before the routes: a method that is not HTTP's own is answered 501 on any path. */
export const methodNotImplemented: RequestHandler = (req, _res, next) => {
  next(HTTP_OWN_METHODS.has(req.method) ? undefined : problems.methodNotImplemented(req.method));
};
