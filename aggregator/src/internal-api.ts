import { createBaseApp, type Logger, problemHandler, rememberRoute, unknownRoute } from '@user-service/common';
import type { RequestListener } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import type { Aggregator } from './aggregator';
import { READ_PREFIX, serveInternalRead } from './internal-read';

/** The aggregator's HTTP API: the gateway's reads, and health, readiness and metrics. */
export function createInternalApi(aggregator: Aggregator, log: Logger, registry: Registry): RequestListener {
  const app = createBaseApp(log, registry);
  app.get('/readyz', rememberRoute, (_req, res) => {
    res.status(aggregator.isReady ? 200 : 503).json({ ready: aggregator.isReady });
  });
  app.use(unknownRoute);
  app.use(problemHandler(log));

  const reads = new Counter({
    name: 'aggregator_reads_total',
    help: 'Reads served to gateways, by HTTP status',
    labelNames: ['status'],
    registers: [registry],
  });
  return (req, res) => {
    if (req.method === 'GET' && req.url?.startsWith(READ_PREFIX)) {
      serveInternalRead(aggregator, req, res, reads, log).catch((error: unknown) => {
        log.error('internal read failed', { error: String(error) });
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    app(req, res);
  };
}
