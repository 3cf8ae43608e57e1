import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';

/**
 * `/metrics` for Prometheus, served with the exposition format's full content type
 * (`text/plain; version=0.0.4; charset=utf-8`), which tells a scraper which version of the text
 * format it reads.
 */
export function metricsEndpoint(registry: Registry): RequestHandler {
  return (_req, res, next) => {
    registry.metrics().then((text) => {
      res.writeHead(200, { 'Content-Type': registry.contentType });
      res.end(text);
    }, next);
  };
}
