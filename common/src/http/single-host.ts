import type { RequestHandler } from 'express';
import { problems } from './problem-catalog';

/**
 * RFC 9112 §3.2: a request with more than one Host field MUST be answered 400. Node accepts it
 * and keeps the first, while a proxy in front may have routed by the second: which host the
 * request is for would then depend on who reads it. (Node refuses a request without Host itself.)
 */
export const singleHost: RequestHandler = (req, _res, next) => {
  const hosts = req.headersDistinct.host?.length ?? 0;
  next(hosts > 1 ? problems.badHost() : undefined);
};
