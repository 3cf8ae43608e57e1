import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';

/** The bare path, with or without a trailing slash; with a query string it is no scrape. */
const METRICS_PATH = /^\/metrics\/?$/;

/**
 * `/metrics` for Prometheus, in front of the routes: any method, the bare path. Served with the
 * exposition format's full content type (`text/plain; version=0.0.4; charset=utf-8`), which
 * tells a scraper which version of the text format it reads.
 */
export function metricsEndpoint(registry: Registry): RequestHandler {
  return (req, res, next) => {
    if (!METRICS_PATH.test(req.originalUrl)) {
      next();
      return;
    }
    registry.metrics().then((text) => {
      res.writeHead(200, { 'Content-Type': registry.contentType });
      res.end(text);
    }, next);
  };
}
