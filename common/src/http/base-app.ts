import express, { type Express } from 'express';
import promBundle from 'express-prom-bundle';
import type { Registry } from 'prom-client';
import type { Logger } from '../observability';
import { cachePolicy } from './cache-policy';
import { rememberRoute, requestContext, routeOf } from './request-context';
import { singleHost } from './single-host';

/**
 * An express app with what every process of ours needs in front of its own routes: request
 * ids and logs, a default caching policy, RED metrics labelled with route templates, /metrics and
 * /healthz.
 */
export function createBaseApp(log: Logger, registry: Registry): Express {
  const app = express();
  // Paths are matched exactly, as gateways and proxies in front match them: a rule written for
  // `/api/user/{id}/personal-data` must not be passed by `/API/USER/…`. Set before the first
  // route, since the app's router is made with it.
  app.enable('case sensitive routing');
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestContext(log));
  app.use(cachePolicy);
  app.use(singleHost);
  const metrics = promBundle({
    promRegistry: registry,
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
    // /metrics is served as a route below, so that it takes GET and HEAD only.
    autoregister: false,
    // Polled every 5 s by healthchecks and scrapes, not asked by clients: they would fill the
    // request-rate and latency panels and dilute the 5xx ratio. Matched on the raw URL.
    excludeRoutes: [/^\/(?:healthz|readyz|metrics)\/?(?:\?|$)/],
  });
  app.use(metrics);
  app.get('/healthz', rememberRoute, (_req, res) => {
    res.json({ status: 'alive' });
  });
  app.get('/metrics', rememberRoute, metrics.metricsMiddleware);
  return app;
}
