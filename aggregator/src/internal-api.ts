import {
  createBaseApp,
  problemHandler,
  problems,
  rememberRoute,
  unknownRoute,
} from '@user-service/common/http';
import { type Logger } from '@user-service/common/observability';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { ServedPartitions } from './aggregator-reads';
import { createReadsCounter } from './aggregator-metrics';
import { internalListRoutes } from './internal-lists';
import { READ_PREFIX, serveInternalRead } from './internal-read';
import { isBatchRead, serveBatchRead } from './internal-batch-read';
import type { PlainRead } from './plain-answer';

/**
 * The aggregator's HTTP API: the gateway's reads, and health, readiness and metrics.
 * /internal/* answers only requests that carry `internalToken` as a bearer token, since it
 * answers users' names and emails opened; health, readiness and metrics hold no user data and
 * stay open to the orchestrator and Prometheus.
 */
export function createInternalApi(
  served: ServedPartitions & { report(): { readonly ready: boolean } },
  log: Logger,
  registry: Registry,
  internalToken: string,
): RequestListener {
  const app = createBaseApp(log, registry);
  app.get('/readyz', rememberRoute, (_req, res) => {
    const readiness = served.report();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  app.use(internalListRoutes(served));
  app.use(unknownRoute);
  app.use(problemHandler(log));

  const reads = createReadsCounter(registry);
  const authorized = bearerCheck(internalToken);
  return (req, res) => {
    if (req.url?.startsWith('/internal/') && !authorized(req)) {
      refuse(res);
      return;
    }
    const serve = req.method === 'GET' ? plainReadOf(req.url ?? '') : undefined;
    if (serve) {
      serve(served, req, res, reads, log).catch((error: unknown) => {
        log.error('internal read failed', { error: String(error) });
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    app(req, res);
  };
}

/** The reads served on plain node:http, past express (see internal-read.ts). */
function plainReadOf(url: string): PlainRead | undefined {
  if (url.startsWith(READ_PREFIX)) return serveInternalRead;
  if (isBatchRead(url)) return serveBatchRead;
  return undefined;
}

function bearerCheck(token: string): (req: IncomingMessage) => boolean {
  // No secret, or an empty one, would let in every caller that sends `Bearer ` and a guess.
  if (token === '') throw new Error('the internal API needs a token (INTERNAL_TOKEN)');
  const expected = Buffer.from(`Bearer ${token}`);
  return (req) => {
    const offered = Buffer.from(req.headers.authorization ?? '');
    return offered.length === expected.length && timingSafeEqual(offered, expected);
  };
}

function refuse(res: ServerResponse): void {
  const problem = problems.unauthorized();
  res.writeHead(problem.status, {
    'content-type': 'application/problem+json; charset=utf-8',
    ...problem.headers,
  });
  res.end(JSON.stringify(problem.toDetails()));
}
