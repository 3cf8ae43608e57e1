import { MisconfiguredError } from '../config/misconfigured-error';

export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
  constructor(
    readonly userId: string,
    readonly expectedVersion: number,
  ) {
    super(
      `user ${userId} is not at version ${expectedVersion}: another event was stored first, or that version does not exist`,
    );
  }
}

/**
 * The append would give a live user an email another live user holds, so nothing was stored. The
 * message names neither the email nor the holder: both are personal data.
 */
export class EmailTakenError extends Error {
  override name = 'EmailTakenError';
  constructor(
    readonly userId: string,
    options?: ErrorOptions,
  ) {
    super(`user ${userId} cannot take an email another live user holds`, options);
  }
}

/**
 * The store could not be reached, or did not confirm in time. For a write the outcome is
 * unknown: it may not have been stored, or it may have been stored and become visible later.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/**
 * The store was reached but can never work as configured (a malformed address, a server that is
 * not a replica set, a database without its unique index): retrying cannot help, so the process
 * should stop and say why.
 */
export class StoreMisconfiguredError extends MisconfiguredError {
  override name = 'StoreMisconfiguredError';
}

/** A subscription's resume point is older than the history the store still keeps. */
export class HistoryLostError extends Error {
  override name = 'HistoryLostError';
}

/**
 * Why a subscription stopped for good:
 * - `handler-failed`: the subscriber's own code threw;
 * - `event-gap`: a user's events have a hole the store cannot fill;
 * - `stream-invalidated`: the collection was dropped or renamed under the change stream;
 * - `malformed-event`: a stored event lacks the envelope every event has (id, user, version).
 */
export type SubscriptionEndReason =
  'handler-failed' | 'event-gap' | 'stream-invalidated' | 'malformed-event';

/** The subscription cannot go on by itself, so it is not retried: it ends with this error. */
export class SubscriptionEndedError extends Error {
  override name = 'SubscriptionEndedError';
  constructor(
    readonly reason: SubscriptionEndReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
