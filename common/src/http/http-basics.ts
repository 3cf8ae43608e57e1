import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import promBundle from 'express-prom-bundle';
import type { Registry } from 'prom-client';
import { UnreadableEventError } from '../domain';
import { StoreUnavailableError } from '../store/errors';
import { errorFields, type Logger } from '../observability';
import { HttpProblem, sendProblem, userUnreadableProblem } from './problem';
import { rememberRoute, requestContext, requestIdOf, routeOf } from './request-context';

/**
 * An express app with what every process of ours needs in front of its own routes: request
 * ids and logs, RED metrics labelled with route templates, /metrics and /healthz.
 */
export function createBaseApp(log: Logger, registry: Registry): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(log));
  app.use(
    promBundle({
      promRegistry: registry,
      autoregister: true,
      includeMethod: true,
      includePath: true,
      includeStatusCode: true,
      // The path label is the route template remembered by the route (see rememberRoute).
      normalizePath: () => 'unmatched',
      transformLabels: (labels, _req, res) => {
        labels.path = routeOf(res);
      },
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      // Prometheus makes `up` itself for every target; ours would be a second `up` series per
      // target (with our service labels), doubling counts of up and never showing a 0.
      includeUp: false,
      // Polled every 5 s by healthchecks, not asked by clients: they would fill the request-rate
      // and latency panels and dilute the 5xx ratio. Matched on the raw URL, query included.
      excludeRoutes: [/^\/(?:healthz|readyz)\/?(?:\?|$)/],
    }),
  );
  app.get('/healthz', rememberRoute, (_req, res) => {
    res.json({ status: 'alive' });
  });
  return app;
}

/** Parses JSON bodies of at most `limit`; anything but JSON is refused with 415. */
export function jsonBody(limit: string): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    // req.is answers null for a request without a body, false for a body of another type.
    if (req.is('application/json') === false) {
      next(new HttpProblem(415, 'unsupported-media-type', 'Unsupported Media Type', 'Send the body as application/json'));
      return;
    }
    next();
  };
  return [requireJson, express.json({ limit, strict: false, type: 'application/json' })];
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new HttpProblem(404, 'not-found', 'Not Found', `No route for ${req.method} ${req.path}`));
};

/** Ends every failure as problem+json; nothing a client sends may surface as a 5xx or a stack trace. */
export function problemHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const problem = toProblem(error);
    if (problem.status >= 500) {
      log.error('request failed', {
        requestId: requestIdOf(res),
        route: routeOf(res),
        error: errorFields(error),
      });
    }
    sendProblem(res, problem);
  };
}

function toProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof StoreUnavailableError) {
    return new HttpProblem(
      503,
      'store-unavailable',
      'Service Unavailable',
      'The event store did not answer in time. A write may still have been stored: read the user before retrying it',
      undefined,
      { 'Retry-After': '1' },
    );
  }
  if (error instanceof UnreadableEventError) return userUnreadableProblem(error);
  const type = typeof error === 'object' && error !== null && 'type' in error ? error.type : undefined;
  switch (type) {
    case 'entity.parse.failed':
      return new HttpProblem(400, 'malformed-json', 'Bad Request', 'The body is not valid JSON');
    case 'entity.too.large':
      return new HttpProblem(413, 'body-too-large', 'Content Too Large', 'The body is larger than allowed');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpProblem(415, 'unsupported-media-type', 'Unsupported Media Type', 'Send the body as UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpProblem(400, 'bad-request', 'Bad Request', 'The body could not be read');
  }
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : 500;
  if (status >= 400 && status < 500) return new HttpProblem(status, 'bad-request', 'Bad Request', 'The request could not be read');
  return new HttpProblem(500, 'internal-error', 'Internal Server Error', 'Something went wrong on our side');
}
