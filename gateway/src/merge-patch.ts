import {
  type FieldError,
  type UpdateUserInput,
  validateUpdateUser,
  validateUserId,
} from '@user-service/common/domain';
import { problems, refuseDeepNesting } from '@user-service/common/http';
import express, { type RequestHandler } from 'express';

/** The one patch format `PATCH /api/user/{id}` takes (RFC 7396), as `Accept-Patch` names it. */
export const MERGE_PATCH_TYPE = 'application/merge-patch+json';

/**
 * Parses a JSON merge patch of at most `limit`; a body of another type is a 415 with
 * `Accept-Patch`, which tells the client the format to use (RFC 5789 §2.2).
 */
export function mergePatchBody(limit: string): RequestHandler[] {
  const requireMergePatch: RequestHandler = (req, _res, next) => {
    // req.is answers null for a request without a body, false for a body of another type.
    next(
      req.is(MERGE_PATCH_TYPE) === false ? problems.bodyNotMergePatch(MERGE_PATCH_TYPE) : undefined,
    );
  };
  return [
    requireMergePatch,
    express.json({ limit, strict: false, type: MERGE_PATCH_TYPE }),
    refuseDeepNesting,
  ];
}

/**
 * What a merge patch asks of user `userId`. A user is a flat object of required fields, so
 * applying the patch (RFC 7396 §2) replaces each field it names; `null`, which would remove a
 * field, is refused, since every field is required. A patch that is not an object would replace
 * the user with a non-user, and is refused too; `{}` changes nothing, and is answered with the
 * user as it is. `id` may be given only as the path's.
 */
export function userPatchOf(patch: unknown, userId: string): UpdateUserInput {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw problems.validationError([
      { field: 'body', message: 'must be a JSON object: a merge patch of the user' },
    ]);
  }
  const nulls: FieldError[] = Object.entries(patch)
    .filter(([, value]) => value === null)
    .map(([field]) => ({ field, message: 'must not be null: every field of a user is required' }));
  if (nulls.length > 0) throw problems.validationError(nulls);
  const fields: Record<string, unknown> = { ...patch };
  if (fields.id !== undefined && fields.id !== userId) {
    throw problems.validationError([{ field: 'id', message: 'must match the id in the path' }]);
  }
  delete fields.id;
  if (Object.keys(fields).length === 0) {
    const id = validateUserId(userId);
    if (!id.ok) throw problems.validationError(id.errors);
    return { id: id.value, patch: {} };
  }
  const input = validateUpdateUser({ ...fields, id: userId });
  if (!input.ok) throw problems.validationError(input.errors);
  return input.value;
}
