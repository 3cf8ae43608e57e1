import express, { type RequestHandler } from 'express';
import { refuseDeepNesting } from './nesting-limit';
import { problems } from './problem-catalog';

/** Parses JSON bodies of at most `limit`; anything but JSON is refused with 415. */
/** The largest body the API reads: a user is a few hundred bytes, so this is generous. */
export const API_BODY_LIMIT = '16kb';

export function jsonBody(limit: string): RequestHandler[] {
  const requireJson: RequestHandler = (req, _res, next) => {
    // req.is answers null for a request without a body, false for a body of another type.
    if (req.is('application/json') === false) {
      next(problems.bodyNotJson());
      return;
    }
    next();
  };
  return [
    requireJson,
    express.json({ limit, strict: false, type: 'application/json' }),
    refuseDeepNesting,
  ];
}
