import type { Request, RequestHandler, Response } from 'express';
import { Histogram, type Registry } from 'prom-client';

export const HTTP_REQUEST_DURATION = 'http_request_duration_seconds';

export interface RequestMetricsOptions {
  readonly registry: Registry;
  /** The route template a finished response is counted under (`unmatched` without a route). */
  readonly routeOf: (res: Response) => string;
  /** Requests not counted: probes and scrapes, asked by machines every few seconds. */
  readonly skip: (req: Request) => boolean;
}

/**
 * RED metrics of HTTP requests: one histogram of durations labelled `method`, `route` (the
 * template, never a raw id) and `status`, the label names the logs and the other families use.
 * Counted when the response is done or its connection closed, whichever comes first.
 */
export function requestMetrics({ registry, routeOf, skip }: RequestMetricsOptions): RequestHandler {
  const durations = new Histogram({
    name: HTTP_REQUEST_DURATION,
    help: 'Time to answer an HTTP request, by method, route template and status (probes and scrapes left out)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  return (req, res, next) => {
    if (skip(req)) {
      next();
      return;
    }
    const stop = durations.startTimer();
    // 'close' follows 'finish' on a completed response, and comes alone on an aborted one.
    res.once('close', () => {
      stop({ method: req.method, route: routeOf(res), status: String(res.statusCode) });
    });
    next();
  };
}
