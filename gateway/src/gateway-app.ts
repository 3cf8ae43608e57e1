import {
  createBaseApp,
  type Logger,
  type PersonalData,
  problemHandler,
  rememberRoute,
  type Store,
  StoreUnavailableError,
  unknownRoute,
} from '@user-service/common';
import type { ErrorRequestHandler, Express } from 'express';
import type { Registry } from 'prom-client';
import type { AggregatorClient } from './aggregator-client';
import { docsRoutes } from './docs-routes';
import type { GatewayMetrics } from './gateway-metrics';
import { eventStatsRoutes } from './event-stats-routes';
import { historyRoutes } from './history-routes';
import type { IdempotencySettings } from './idempotent-writes';
import { listRoutes, userStatsRoutes } from './list-routes';
import { problemPages } from './problem-pages';
import { userRoutes } from './routes';
import { WrittenPositions } from './written-positions';
import { WrittenVersions } from './written-versions';

export interface GatewayDependencies {
  readonly store: Store;
  readonly personalData: PersonalData;
  readonly aggregators: AggregatorClient;
  readonly aggregatorCount: number;
  readonly partitions: number;
  readonly partitionOf: (userId: string) => number;
  readonly metrics: GatewayMetrics;
  readonly registry: Registry;
  readonly log: Logger;
  readonly idempotency: IdempotencySettings;
  /**
   * The API's public base URL (PUBLIC_BASE_URL, no trailing slash), configured rather than taken
   * from a request's Host: problem `type`s are absolute URIs under it, the same on every gateway.
   */
  readonly publicBaseUrl: string;
}

function countStoreErrors(metrics: GatewayMetrics): ErrorRequestHandler {
  return (error: unknown, _req, _res, next) => {
    if (error instanceof StoreUnavailableError) metrics.storeErrors.inc();
    next(error);
  };
}

export function createGatewayApp(dependencies: GatewayDependencies): Express {
  const { log, registry } = dependencies;
  const app = createBaseApp(log, registry);
  // Ready while the store answers: without it no write can succeed, and a read only sometimes.
  app.get('/readyz', rememberRoute, async (_req, res) => {
    const reachable = await dependencies.store.ping().then(
      () => true,
      () => false,
    );
    res
      .status(reachable ? 200 : 503)
      .json(reachable ? { ready: true } : { ready: false, reason: 'store-unreachable' });
  });
  const context = {
    ...dependencies,
    written: new WrittenVersions(),
    writtenPositions: new WrittenPositions((a, b) =>
      dependencies.store.events.comparePositions(a, b),
    ),
  };
  app.use(
    ['/api/user', '/api/users'],
    listRoutes(context),
    historyRoutes(context),
    userRoutes(context),
  );
  app.use('/api/stats', userStatsRoutes(context), eventStatsRoutes(context));
  app.use(docsRoutes());
  app.use(problemPages());
  app.use(unknownRoute);
  app.use(countStoreErrors(dependencies.metrics));
  app.use(problemHandler(log, dependencies.publicBaseUrl));
  return app;
}
