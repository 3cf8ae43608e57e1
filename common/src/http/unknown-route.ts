import type { RequestHandler } from 'express';
import { problems } from './problem-catalog';

/** Mounted after every route: what reaches it matched none. */
export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(problems.routeNotFound(req.method, req.path));
};
