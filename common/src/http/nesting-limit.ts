import type { RequestHandler } from 'express';
import { problems } from './problem-catalog';

/**
 * How deep a JSON body may nest. A user is one flat object; a body nested thousands of levels
 * deep (which fits in 16 KiB) is refused here, before anything that walks it recursively (the
 * idempotency fingerprint's canonical JSON, the validator) could run out of stack and answer 500.
 */
export const MAX_BODY_DEPTH = 32;

const isContainer = (value: unknown): value is object =>
  typeof value === 'object' && value !== null;

/**
 * Whether a parsed JSON value nests more than `limit` objects or arrays inside one another,
 * counted level by level without recursion.
 */
export function depthExceeds(value: unknown, limit: number): boolean {
  let level: object[] = isContainer(value) ? [value] : [];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth >= limit) return true;
    level = level.flatMap((container) => Object.values(container).filter(isContainer));
  }
  return false;
}

/** Refuses a parsed body nested deeper than MAX_BODY_DEPTH with 400 validation-error. */
export const refuseDeepNesting: RequestHandler = (req, _res, next) => {
  const body: unknown = req.body;
  if (depthExceeds(body, MAX_BODY_DEPTH)) {
    next(
      problems.validationError([
        { field: 'body', message: `must not nest deeper than ${MAX_BODY_DEPTH} levels` },
      ]),
    );
    return;
  }
  next();
};
