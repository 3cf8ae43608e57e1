import {
  createBaseApp,
  methodNotImplemented,
  problemHandler,
  unknownRoute,
} from '@user-service/common/http';
import { type Logger } from '@user-service/common/observability';
import { type PersonalData } from '@user-service/common/personal-data';
import { type Store, StoreUnavailableError } from '@user-service/common/store';
import { type ErrorRequestHandler, type Express, Router } from 'express';
import type { Registry } from 'prom-client';
import type { AggregatorClient } from './aggregator-client';
import type { GatewayMetrics } from './gateway-metrics';
import { GATEWAY_ROUTES, type GatewayContext } from './gateway-routes';
import type { IdempotencySettings } from './idempotent-writes';
import { openApiDocument } from './openapi-document';
import { requireScope, type TokenCheck } from './access-tokens';
import { registerRoutes } from './route-table';
import { UserLog } from './user-log';
import { WrittenPositions } from './written-positions';
import { WrittenVersions } from './written-versions';
import { ConsistencyTokens, readConsistencyToken } from './consistency-tokens';
import type { PartitionOwners } from './partition-owners';
import type { KnownLayout } from './known-layout';

export interface GatewayDependencies {
  readonly store: Store;
  readonly personalData: PersonalData;
  readonly aggregators: AggregatorClient;
  /** Who owns each partition, from the store's leases. */
  readonly owners: PartitionOwners;
  /** The store's layout: its partition count, and the id consistency tokens carry. */
  readonly layout: KnownLayout;
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
  /** Checks an access token and answers the scopes it grants; without it no token is asked for. */
  readonly accessTokens?: TokenCheck;
}

function countStoreErrors(metrics: GatewayMetrics): ErrorRequestHandler {
  return (error: unknown, _req, _res, next) => {
    if (error instanceof StoreUnavailableError) metrics.storeErrors.inc();
    next(error);
  };
}

export function createGatewayApp(dependencies: GatewayDependencies): Express {
  const { log, registry } = dependencies;
  // `/api/users` is the same API as `/api/user`, counted and logged as one.
  const app = createBaseApp(log, registry, { routeAliases: { '/api/users': '/api/user' } });
  const compare = (a: string, b: string) => dependencies.store.events.comparePositions(a, b);
  const tokens = new ConsistencyTokens(() => dependencies.layout.current, compare);
  const context: GatewayContext = {
    ...dependencies,
    tokens,
    userLog: new UserLog(dependencies.store, dependencies.personalData),
    written: new WrittenVersions(),
    writtenPositions: new WrittenPositions(compare),
    openApi: openApiDocument(),
  };
  // Paths are matched as gateways in front match them: case-sensitively (set on the base app).
  const routes = Router({ caseSensitive: true });
  const { accessTokens } = dependencies;
  registerRoutes(routes, GATEWAY_ROUTES, context, accessTokens && requireScope(accessTokens));
  app.use(methodNotImplemented);
  app.use('/api', dependencies.layout.required, readConsistencyToken(tokens));
  app.use(routes);
  app.use(unknownRoute);
  app.use(countStoreErrors(dependencies.metrics));
  app.use(problemHandler(log, dependencies.publicBaseUrl));
  return app;
}
