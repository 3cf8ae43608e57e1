import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { v4 as uuidv4 } from 'uuid';
import type { Logger } from '../observability';
import { canonicalRoute, routeAliasesOf } from './route-label';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's X-Request-Id when it is a sensible one, else a new id. */
export function chooseRequestId(offered: string | string[] | undefined): string {
  return typeof offered === 'string' && ACCEPTABLE_REQUEST_ID.test(offered) ? offered : uuidv4();
}

/**
 * Asked every few seconds by machines, not clients: Docker's healthcheck (/healthz), readiness
 * probes (/readyz) and Prometheus' scrape (/metrics). An info line for each would bury the
 * requests that matter in `docker compose logs`, so they are logged at debug only.
 */
const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** Whether a request is a healthcheck, a readiness probe or a scrape (see PROBE_PATHS). */
export function isProbe(req: Request): boolean {
  return PROBE_PATHS.has(req.path.replace(/(.)\/$/, '$1'));
}

/** The one line logged per request: at info, or at debug for probes. */
export function logRequest(
  log: Logger,
  request: {
    requestId: string;
    method: string | undefined;
    route: string;
    status: number;
    started: bigint;
  },
  level: 'info' | 'debug' = 'info',
): void {
  const { requestId, method, route, status, started } = request;
  log.log(level, 'request', {
    requestId,
    method,
    route,
    status,
    durationMs: Number(process.hrtime.bigint() - started) / 1e6,
  });
}

/**
 * Gives every request an id, returns it in the response, and logs one line per request when the
 * response is done (probes at debug).
 */
export function requestContext(log: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const requestId = chooseRequestId(req.get(REQUEST_ID_HEADER));
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    const level = isProbe(req) ? 'debug' : 'info';
    // winston formats a line before its transports drop it by level: skip the work up front.
    if (!log.isLevelEnabled(level)) {
      next();
      return;
    }
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logRequest(
        log,
        { requestId, method: req.method, route: routeOf(res), status: res.statusCode, started },
        level,
      );
    });
    next();
  };
}

export function requestIdOf(res: Response): string {
  return String(res.locals.requestId ?? '');
}

/**
 * First handler of every route: remembers the route as a template (`/api/user/:id`), for logs
 * and metrics, as the API documents it (see canonicalRoute). Only while a route runs are its
 * router's base path and pattern both known.
 */
export const rememberRoute: RequestHandler = (req, res, next) => {
  const route: unknown = req.route;
  if (
    typeof route === 'object' &&
    route !== null &&
    'path' in route &&
    typeof route.path === 'string'
  ) {
    res.locals.route = canonicalRoute(`${req.baseUrl}${route.path}`, routeAliasesOf(req.app));
  }
  next();
};

/** The matched route as a template, never the raw path with its ids. */
export function routeOf(res: Response): string {
  return typeof res.locals.route === 'string' ? res.locals.route : 'unmatched';
}
