import type { ErrorRequestHandler } from 'express';
import { errorFields, type Logger } from '../observability';
import { sendProblem } from './problem';
import { requestIdOf, routeOf } from './request-context';
import { toProblem } from './to-problem';

/**
 * Ends every failure as problem+json; nothing a client sends may surface as a 5xx or a stack trace.
 * `typeBase`: the public base URL that makes problem types absolute (see HttpProblem.toDetails).
 */
export function problemHandler(log: Logger, typeBase?: string): ErrorRequestHandler {
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
    sendProblem(res, problem, typeBase);
  };
}
