import { problems } from '@user-service/common';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import { v5 as uuidv5 } from 'uuid';

/** Visible ASCII, as the IETF draft's examples and Stripe's keys are: no spaces, no controls. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7E]{1,255}$';
const KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

/** Names the ids derived from keys, so that they cannot collide with ids made another way. */
const KEY_NAMESPACE = '0d4f4b1e-6a57-4c43-9a55-2f6a3f0c8e21';

/** The `Idempotency-Key` a request was sent with, or undefined; a malformed one is a 400. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('idempotency-key');
  if (key === undefined) return undefined;
  if (!KEY.test(key)) throw problems.badIdempotencyKey();
  return key;
}

/**
 * What makes a retry the same request: the method, the path with the `/api/users` alias and a
 * trailing slash normalised away, and the body as JSON (key order and spacing aside). Hashed, so
 * that the store keeps no personal data of the body under the key.
 */
export function fingerprintOf(req: Request, userIdInPath: string | undefined): string {
  const path = userIdInPath === undefined ? '/api/user' : `/api/user/${userIdInPath}`;
  const body: unknown = req.body;
  return createHash('sha256')
    .update(`${req.method} ${path}\n${stringify(body ?? null)}`)
    .digest('base64url');
}

/**
 * Ids a retry of the same request derives again: the new user's id of a create that names none,
 * and the id of the event the request stores. Whichever attempt stores that event, a second
 * attempt finds it stored and stores nothing (the store answers `alreadyStored`).
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
