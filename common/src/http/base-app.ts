import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../observability';
import { cachePolicy } from './cache-policy';
import { metricsEndpoint } from './metrics-endpoint';
import { isProbe, rememberRoute, requestContext, routeOf } from './request-context';
import { requestMetrics } from './request-metrics';
import { setRouteAliases } from './route-label';
import { singleHost } from './single-host';

export interface BaseAppOptions {
  /**
   * Path prefixes the app also answers under another name, mapped to the name they are counted
   * and logged under, e.g. `{ '/api/users': '/api/user' }`.
   */
  readonly routeAliases?: Readonly<Record<string, string>>;
}

/**
 * An express app with what every process of ours needs in front of its own routes: request
 * ids and logs, a default caching policy, RED metrics labelled with route templates, /metrics and
 * /healthz.
 */
export function createBaseApp(
  log: Logger,
  registry: Registry,
  options: BaseAppOptions = {},
): Express {
  const app = express();
  // Paths are matched exactly, as gateways and proxies in front match them: a rule written for
  // `/api/user/{id}/personal-data` must not be passed by `/API/USER/…`. Set before the first
  // route, since the app's router is made with it.
  app.enable('case sensitive routing');
  app.disable('x-powered-by');
  app.set('etag', false);
  // Routes remember their template as the API documents it (rememberRoute), the same in logs and
  // metrics: a spike on the dashboard can be looked up in the logs by its route.
  setRouteAliases(app, options.routeAliases ?? {});
  app.use(requestContext(log));
  app.use(cachePolicy);
  app.use(singleHost);
  // Probes and scrapes are polled every few seconds by machines, not asked by clients: they
  // would fill the request-rate and latency panels and dilute the 5xx ratio.
  app.use(requestMetrics({ registry, routeOf, skip: isProbe }));
  app.get('/healthz', rememberRoute, (_req, res) => {
    res.json({ status: 'alive' });
  });
  // GET and HEAD only: a scrape reads; the gateway's route table answers 405 for the rest.
  app.get('/metrics', rememberRoute, metricsEndpoint(registry));
  return app;
}
