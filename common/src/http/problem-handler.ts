import type { ErrorRequestHandler } from 'express';
import { errorFields, type Logger } from '../observability';
import { sendProblem } from './problem';
import { requestIdOf, routeOf } from './request-context';
import { toProblem } from './to-problem';

/** Ends every failure as problem+json; nothing a client sends may surface as a 5xx or a stack trace. */
export function problemHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const problem = toProblem(error);
    if (problem.status >= 500) {
      log.error('request failed', {
        requestId: requestIdOf(res),
        route: routeOf(res),
        error: errorFields(error),
      });
    }
    sendProblem(res, problem);
  };
}
