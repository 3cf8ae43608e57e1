import { chooseRequestId, logRequest } from '@user-service/common/http';
import { type Logger } from '@user-service/common/observability';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter } from 'prom-client';
import type { ServedPartitions } from './aggregator-reads';

/** What a plain route answers: a status, and a body sent as JSON (a problem's when not 200). */
export interface PlainAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** A read served on plain node:http, each read it answers counted by status in `reads`. */
export type PlainRead = (
  served: ServedPartitions,
  req: IncomingMessage,
  res: ServerResponse,
  reads: Counter<'status'>,
  log: Logger,
) => Promise<void>;

/**
 * Sends what `produce` answers the way the express routes would: JSON or problem+json, the
 * request id echoed, one request line at info. For the reads served on plain node:http
 * (decision 0007), which skip express's middleware.
 */
export async function answerPlainly(
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
  route: string,
  produce: () => Promise<PlainAnswer>,
): Promise<void> {
  const started = process.hrtime.bigint();
  const requestId = chooseRequestId(req.headers['x-request-id']);
  const { status, body } = await produce();
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type':
      status === 200
        ? 'application/json; charset=utf-8'
        : 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'x-request-id': requestId,
  });
  res.end(json);
  if (log.isInfoEnabled())
    logRequest(log, { requestId, method: req.method, route, status, started });
}
