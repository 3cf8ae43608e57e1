import type { RequestHandler } from 'express';
import { problems } from './problem-catalog';

/**
 * RFC 9112 §3.2: a request with more than one Host field MUST be answered 400. Node accepts it
 * and keeps the first, while a proxy in front may have routed by the second: which host the
 * request is for would then depend on who reads it. (Node refuses a request without Host itself.)
 */
export const singleHost: RequestHandler = (req, _res, next) => {
  next(hostFields(req.rawHeaders) > 1 ? problems.badHost() : undefined);
};

/**
 * The Host fields among a request's raw headers (name, value, name, value...). Counted there
 * rather than through `headersDistinct`, which builds an array for every header of every request.
 */
export function hostFields(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    if (name?.length === 4 && name.toLowerCase() === 'host') count += 1;
  }
  return count;
}
