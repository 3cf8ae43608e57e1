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
  if (!record || record.expiresAt.getTime() <= now.getTime()) return 'free';
  if (record.outcome)
    return { kind: 'completed', fingerprint: record.fingerprint, outcome: record.outcome };
  return record.leaseUntil.getTime() > now.getTime() ? { kind: 'inFlight' } : 'free';
}
