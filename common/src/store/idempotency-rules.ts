import type { IdempotentBegin, StoredOutcome } from './idempotency-store';

/** What both adapters keep of a key. */
export interface KeyRecord {
  readonly fingerprint: string;
  readonly token: string;
  readonly leaseUntil: Date;
  readonly expiresAt: Date;
  readonly outcome: StoredOutcome | null;
}

/**
 * What a key's record, as read at `now`, answers an attempt that wants the key; `free` when the
 * attempt may take it: no record, an expired one, or an attempt whose lease ran out (its process
 * presumably died). The same rule for every adapter, so that they cannot differ on it.
 */
export function standingOf(
  record: KeyRecord | null | undefined,
  now: Date,
): Exclude<IdempotentBegin, { kind: 'started' }> | 'free' {
  if (!record || isExpired(record, now)) return 'free';
  if (record.outcome)
    return { kind: 'completed', fingerprint: record.fingerprint, outcome: record.outcome };
  return record.leaseUntil.getTime() > now.getTime() ? { kind: 'inFlight' } : 'free';
}

/** A record past its `expiresAt` is forgotten, whether or not the store has deleted it yet. */
export function isExpired(record: KeyRecord, now: Date): boolean {
  return record.expiresAt.getTime() <= now.getTime();
}

/**
 * The `started` answer of an attempt that took the key from `record` (undefined when there was
 * none): fresh only when no attempt of this request can have written anything. An expired record
 * is no one's; a request with the key after that is a new one, whose earlier writes, if any, were
 * a day ago and are found by their derived ids all the same.
 */
export function startedFrom(record: KeyRecord | null | undefined, now: Date): IdempotentBegin {
  return { kind: 'started', fresh: !record || isExpired(record, now) };
}

/** An abandoned attempt's lease: over, so that the next attempt takes the key at once. */
export const ABANDONED_LEASE = new Date(0);
