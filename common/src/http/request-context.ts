import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { v4 as uuidv4 } from 'uuid';
import type { Logger } from '../observability';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id (the client's X-Request-Id when it is sensible, else a new one),
 * returns it in the response, and logs one line per request when the response is done.
 */
export function requestContext(log: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const offered = req.get(REQUEST_ID_HEADER);
    const requestId = offered && ACCEPTABLE_REQUEST_ID.test(offered) ? offered : uuidv4();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      log.info('request', {
        requestId,
        method: req.method,
        route: routeOf(res),
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
    next();
  };
}

export function requestIdOf(res: Response): string {
  return String(res.locals.requestId ?? '');
}

/**
 * First handler of every route: remembers the route as a template (`/api/user/:id`), for logs
 * and metrics. Only while a route runs are its router's base path and pattern both known.
 */
export const rememberRoute: RequestHandler = (req, res, next) => {
  const route: unknown = req.route;
  if (typeof route === 'object' && route !== null && 'path' in route && typeof route.path === 'string') {
    res.locals.route = `${req.baseUrl}${route.path}`;
  }
  next();
};

/** The matched route as a template, never the raw path with its ids. */
export function routeOf(res: Response): string {
  return typeof res.locals.route === 'string' ? res.locals.route : 'unmatched';
}
