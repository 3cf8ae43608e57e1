import { problems } from '@user-service/common/http';
import { type UserState } from '@user-service/common/domain';
import type { Request } from 'express';

/** An entity tag (RFC 9110 §8.8.3): `"3"` is strong, `W/"3"` weak; `opaque` is what is quoted. */
export interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

/** `If-Match` or `If-None-Match` as sent: `*`, or a list of entity tags. */
export type TagCondition =
  { readonly kind: 'any' } | { readonly kind: 'tags'; readonly tags: readonly EntityTag[] };

/** The conditional fields of a request that this API evaluates (dates are ignored: see below). */
export interface Preconditions {
  readonly ifMatch?: TagCondition;
  readonly ifNoneMatch?: TagCondition;
}

/**
 * One list element: optional whitespace, an entity tag or nothing (RFC 9110 §5.6.1 lets a
 * recipient ignore empty elements), whitespace, then a comma or the end. An opaque tag may hold
 * commas and obs-text, which Node hands over as latin1 characters, so the list cannot be split on
 * commas first.
 */
const LIST_ELEMENT = /[ \t]*(?:(W\/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|$)/y;

/** `"*" / #entity-tag` (RFC 9110 §13.1.1-2), or undefined when the value is not of that form. */
export function parseTagCondition(value: string): TagCondition | undefined {
  if (value.trim() === '*') return { kind: 'any' };
  const tags: EntityTag[] = [];
  let at = 0;
  while (at < value.length) {
    LIST_ELEMENT.lastIndex = at;
    const element = LIST_ELEMENT.exec(value);
    if (!element || LIST_ELEMENT.lastIndex === at) return undefined;
    if (element[2] !== undefined) tags.push({ weak: element[1] !== undefined, opaque: element[2] });
    at = LIST_ELEMENT.lastIndex;
  }
  return { kind: 'tags', tags };
}

/**
 * The request's `If-Match` and `If-None-Match`; a field that is not `*` or a list of entity tags
 * is a 400. `If-Unmodified-Since` and `If-Modified-Since` are not evaluated: a user has no
 * modification date in its responses (RFC 9110 §13.1.3-4 has them ignored then).
 */
export function preconditionsOf(req: Request): Preconditions {
  const ifMatch = req.get('if-match');
  const ifNoneMatch = req.get('if-none-match');
  const parsedIfMatch = ifMatch === undefined ? undefined : parseTagCondition(ifMatch);
  if (ifMatch !== undefined && parsedIfMatch === undefined) throw problems.badIfMatch();
  const parsedIfNoneMatch = ifNoneMatch === undefined ? undefined : parseTagCondition(ifNoneMatch);
  if (ifNoneMatch !== undefined && parsedIfNoneMatch === undefined) throw problems.badIfNoneMatch();
  return {
    ...(parsedIfMatch ? { ifMatch: parsedIfMatch } : {}),
    ...(parsedIfNoneMatch ? { ifNoneMatch: parsedIfNoneMatch } : {}),
  };
}

/** The opaque tag of a user's version as we send it in `ETag`: `"3"` for version 3. */
export function versionTag(version: number): string {
  return String(version);
}

/**
 * If-Match uses the strong comparison (RFC 9110 §8.8.3.2): a weak tag never matches, and the
 * opaque tags must be equal octet for octet (`"003"` is not version 3). `*` holds when there is a
 * current version.
 */
function ifMatchHolds(condition: TagCondition, current: string | undefined): boolean {
  if (condition.kind === 'any') return current !== undefined;
  return condition.tags.some((tag) => !tag.weak && tag.opaque === current);
}

/** If-None-Match uses the weak comparison: `W/"3"` and `"3"` both name version 3. */
function ifNoneMatchHolds(condition: TagCondition, current: string | undefined): boolean {
  if (condition.kind === 'any') return current === undefined;
  return !condition.tags.some((tag) => tag.opaque === current);
}

/**
 * For a read (GET, HEAD) of a version that exists, in the order of RFC 9110 §13.2.2: a false
 * If-Match is a 412; a false If-None-Match means the client's copy is current: 304.
 */
export function evaluateForRead(
  preconditions: Preconditions,
  userId: string,
  version: number,
): 'send' | 'notModified' {
  const current = versionTag(version);
  const { ifMatch, ifNoneMatch } = preconditions;
  if (ifMatch && !ifMatchHolds(ifMatch, current)) {
    throw problems.preconditionFailed({ userId, version, field: 'If-Match' });
  }
  if (ifNoneMatch && !ifNoneMatchHolds(ifNoneMatch, current)) return 'notModified';
  return 'send';
}

/**
 * For a page or file served with the strong ETag `"<opaqueTag>"`: true when the request's
 * If-None-Match names it (weakly) or is `*`, so a 304 is the answer. Evaluated as an origin
 * server must (RFC 9110 §13.2.1), whatever Cache-Control the request carries; a malformed field
 * is ignored here, as a page for people is better sent than refused.
 */
export function clientCopyIsCurrent(req: Request, opaqueTag: string): boolean {
  const value = req.get('if-none-match');
  const condition = value === undefined ? undefined : parseTagCondition(value);
  return condition !== undefined && !ifNoneMatchHolds(condition, opaqueTag);
}

/**
 * For a write to one user, against the state the write was decided on: a false If-Match or
 * If-None-Match is a 412 (RFC 9110 §13.2.2). The tags name the user's latest version, so that
 * the erasure of a deleted user can be guarded too: there, `*` in If-Match holds, and in
 * If-None-Match fails, as long as the user has any version.
 */
export function checkWrite(preconditions: Preconditions, userId: string, state: UserState): void {
  const { version } = state;
  const current = version === 0 ? undefined : versionTag(version);
  const { ifMatch, ifNoneMatch } = preconditions;
  if (ifMatch && !ifMatchHolds(ifMatch, current)) {
    throw problems.preconditionFailed({ userId, version, field: 'If-Match' });
  }
  if (ifNoneMatch && !ifNoneMatchHolds(ifNoneMatch, current)) {
    throw problems.preconditionFailed({ userId, version, field: 'If-None-Match' });
  }
}

/**
 * For `POST /api/user`, whose target is the collection (RFC 9110 §9.3.3): it always exists and
 * has no entity tag, so `If-Match: *` holds and any tag fails; `If-None-Match: *` fails and any
 * tag holds.
 */
export function checkCollectionWrite(preconditions: Preconditions): void {
  const { ifMatch, ifNoneMatch } = preconditions;
  if (ifMatch?.kind === 'tags') throw problems.collectionPreconditionFailed('If-Match');
  if (ifNoneMatch?.kind === 'any') throw problems.collectionPreconditionFailed('If-None-Match');
}

/**
 * The preconditions as one canonical line each, for the idempotency fingerprint: the same
 * condition however it was spelled (spacing, order, repeats); none when absent.
 */
export function canonicalPreconditions(preconditions: Preconditions): string[] {
  const line = (name: string, condition: TagCondition | undefined): string[] => {
    if (condition === undefined) return [];
    if (condition.kind === 'any') return [`${name}: *`];
    const tags = condition.tags.map((tag) => `${tag.weak ? 'W/' : ''}"${tag.opaque}"`);
    return [`${name}: ${[...new Set(tags)].sort().join(', ')}`];
  };
  return [
    ...line('If-Match', preconditions.ifMatch),
    ...line('If-None-Match', preconditions.ifNoneMatch),
  ];
}
