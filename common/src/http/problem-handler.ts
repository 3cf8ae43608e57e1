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
    if (isServerFault(problem.status)) {
      log.error('request failed', {
        requestId: requestIdOf(res),
        route: routeOf(res),
        error: errorFields(error),
      });
    }
    sendProblem(res, problem, typeBase);
  };
}

/**
 * A 5xx is logged as a failure of ours, but 501: that is the answer to a method no path here
 * takes (PROPFIND), a fact about the request, and any client could otherwise fill the error log
 * (and spend the process's time formatting it) by sending one again and again.
 */
function isServerFault(status: number): boolean {
  return status >= 500 && status !== 501;
}
