import {
  problems,
  type QueryParameters,
  type QueryValidator,
  type QueryValues,
} from '@user-service/common/http';
import { validateUserId } from '@user-service/common/domain';
import type { Request, Response } from 'express';

/** The user id in the path, or a 400 naming `id`. */
export function pathId(req: Request): string {
  const id = validateUserId(req.params.id);
  if (!id.ok) throw problems.validationError(id.errors);
  return id.value;
}

/** The raw query string of the request (after `?`), '' without one. */
export function rawQuery(req: Request): string {
  const at = req.originalUrl.indexOf('?');
  return at < 0 ? '' : req.originalUrl.slice(at + 1);
}

/** The query's parameters, or a 400 naming every one that is wrong. */
export function validQuery<P extends QueryParameters>(
  req: Request,
  validate: QueryValidator<P>,
): QueryValues<P> {
  const query = validate(rawQuery(req));
  if (!query.ok) throw problems.validationError(query.errors);
  return query.value;
}

/**
 * Points at the next page: the same path and parameters, with `changes` applied (a null value
 * removes the parameter). A relative URL, so it is right behind any proxy or alias.
 */
export function linkNext(
  req: Request,
  res: Response,
  changes: Record<string, string | null>,
): void {
  const params = new URLSearchParams(rawQuery(req));
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) params.delete(name);
    else params.set(name, value);
  }
  const path = req.originalUrl.split('?', 1)[0] ?? '';
  res.set('Link', `<${path}?${params}>; rel="next"`);
}
