import { chooseRequestId, logRequest } from '@user-service/common/http';
import { type Logger } from '@user-service/common/observability';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a plain route answers: a status, and a body sent as JSON (a problem's when not 200). */
export interface PlainAnswer {
  readonly status: number;
  readonly body: unknown;
}

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
