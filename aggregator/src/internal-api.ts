import {
  createBaseApp,
  HttpProblem,
  type Logger,
  problemHandler,
  rememberRoute,
  unknownRoute,
  validateUserId,
  validationProblem,
} from '@user-service/common';
import type { Express, Request } from 'express';
import type { Registry } from 'prom-client';
import type { Aggregator } from './aggregator';

/** How long a read may wait for a version the caller knows was written. */
const VERSION_WAIT_MS = 50;

/**
 * The aggregator's API for the gateway. `minVersion` carries read-your-writes: the gateway
 * asks for at least the version it last wrote, and gets 409 if this copy does not reach it
 * within a short wait, so that it answers from the store instead of serving an older state.
 */
export function createInternalApi(aggregator: Aggregator, log: Logger, registry: Registry): Express {
  const app = createBaseApp(log, registry);

  app.get('/readyz', rememberRoute, (_req, res) => {
    res.status(aggregator.isReady ? 200 : 503).json({ ready: aggregator.isReady });
  });

  app.get('/internal/users/:id', rememberRoute, async (req, res) => {
    if (!aggregator.isReady) throw new HttpProblem(503, 'not-ready', 'Service Unavailable', 'Still restoring');
    const id = validateUserId(req.params.id);
    if (!id.ok) throw validationProblem(id.errors);
    const minVersion = parseMinVersion(req);
    if (aggregator.user(id.value).version < minVersion) {
      const reached = await aggregator.waitForVersion(id.value, minVersion, VERSION_WAIT_MS);
      if (!reached) {
        throw new HttpProblem(409, 'version-not-applied', 'Conflict', `Version ${minVersion} is not applied yet`);
      }
    }
    const { user, version } = aggregator.user(id.value);
    if (!user) throw new HttpProblem(404, 'user-not-found', 'Not Found', `No user ${id.value}`);
    res.json({ user, version });
  });

  app.use(unknownRoute);
  app.use(problemHandler(log));
  return app;
}

function parseMinVersion(req: Request): number {
  const raw = req.query.minVersion;
  if (raw === undefined) return 0;
  const value = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (Number.isNaN(value)) {
    throw validationProblem([{ field: 'minVersion', message: 'must be a non-negative integer' }]);
  }
  return value;
}
