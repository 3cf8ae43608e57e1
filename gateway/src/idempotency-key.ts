import { problems } from '@user-service/common/http';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import { parseItem } from 'structured-headers';
import { v5 as uuidv5 } from 'uuid';
import { canonicalPreconditions, preconditionsOf } from './preconditions';

/** The longest key accepted, as the IETF draft's examples and Stripe allow. */
const MAX_KEY_LENGTH = 255;

/**
 * The field's value as sent: an RFC 8941 sf-string, as the IETF draft defines the field
 * (`"8e03978e-40d5"`, spaces allowed, `\"` and `\\` escaped), or for clients written before it
 * (Stripe's style) the bare key, visible ASCII without `"`. For the OpenAPI document.
 */
export const IDEMPOTENCY_KEY_PATTERN =
  '^(?:"(?:[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]|\\\\[\\\\"]){1,255}"|[\\x21\\x23-\\x7E]{1,255})$';
const BARE_KEY = /^[\x21\x23-\x7E]+$/;

/** Names the ids derived from keys, so that they cannot collide with ids made another way. */
const KEY_NAMESPACE = '0d4f4b1e-6a57-4c43-9a55-2f6a3f0c8e21';

/**
 * The key of the request's `Idempotency-Key`, or undefined without one; any other form is a 400.
 * `"k"` and the bare `k` are the same key, `k`: a retry re-serialised by other tooling (or a
 * gateway plugin) on the way is still recognised as the same request.
 */
export function idempotencyKeyOf(req: Request): string | undefined {
  const value = req.get('idempotency-key');
  if (value === undefined) return undefined;
  const key = value.startsWith('"') ? sfString(value) : value;
  if (key === undefined || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw problems.badIdempotencyKey();
  }
  if (!value.startsWith('"') && !BARE_KEY.test(key)) throw problems.badIdempotencyKey();
  return key;
}

/** The inner string of an sf-string without parameters (RFC 8941 §4.2.5), else undefined. */
function sfString(value: string): string | undefined {
  try {
    const [item, parameters] = parseItem(value);
    return typeof item === 'string' && parameters.size === 0 ? item : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What makes a retry the same request, as text: the method, the path with the `/api/users` alias
 * and a trailing slash normalised away, the preconditions (If-Match, If-None-Match) in canonical
 * form, and the body as JSON (key order and spacing aside). It holds the body's name and email,
 * so nothing keeps it: the key's record keeps its keyed hash (PersonalData.requestFingerprint).
 *
 * The preconditions are part of the request (ADR 0010): a retry that corrects a stale If-Match
 * is a different request, answered 422 idempotency-key-reused, never the remembered 412. A
 * request without preconditions reads as it did before they were counted.
 */
export function canonicalRequest(req: Request, userIdInPath: string | undefined): string {
  const path = userIdInPath === undefined ? '/api/user' : `/api/user/${userIdInPath}`;
  const conditions = canonicalPreconditions(preconditionsOf(req));
  const body: unknown = req.body;
  const head = [`${req.method} ${path}`, ...conditions].join('\n');
  return `${head}\n${stringify(body ?? null)}`;
}

/**
 * The fingerprint releases before the keyed one stored: the plain SHA-256 of the canonical
 * request, against which a guessed name and email could be checked (crypto review M1). Only
 * compared with what an older release stored, never stored or sent: a retry of a request that
 * release remembered is still the same request, and finds what its first attempt stored under
 * the ids it derived. No such record outlives IDEMPOTENCY_TTL_HOURS after the upgrade; then this
 * can go.
 */
export function legacyFingerprintOf(canonical: string): string {
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * Ids a retry of the same request derives again: the new user's id of a create that names none,
 * and the id of the event the request stores. Whichever attempt stores that event, a second
 * attempt finds it stored and stores nothing (the store answers `alreadyStored`). They follow
 * from the key and the keyed fingerprint, so they too tell nothing of the body without the key.
 */
export interface KeyedIds {
  readonly userId: string;
  readonly eventId: string;
}

export function keyedIds(key: string, fingerprint: string): KeyedIds {
  return {
    userId: uuidv5(`user\n${key}\n${fingerprint}`, KEY_NAMESPACE),
    eventId: uuidv5(`event\n${key}\n${fingerprint}`, KEY_NAMESPACE),
  };
}
