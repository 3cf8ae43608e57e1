// The idempotency store port: the outcomes of requests sent with an `Idempotency-Key`.

/**
 * The outcome of a request, as stored under its idempotency key, so that a retry of the request
 * with the same key gets it again: the response's status, the headers worth sending again and
 * its body.
 */
export interface StoredOutcome {
  readonly status: number;
  /** Those worth sending again: `Content-Type`, `ETag`, `Location`. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The body as sent; empty for none. When `userId` is set it is a JSON object whose `name` and
   * `email` are that user's personal data: stored, they are sealed with the user's data key.
   */
  readonly body: string;
  readonly userId?: string;
}

/** One attempt at carrying out a request with an idempotency key. */
export interface IdempotentAttempt {
  /** What makes two requests the same request: a retry must match it. */
  readonly fingerprint: string;
  /** Unique per attempt: only the attempt holding the key may finish or abandon it. */
  readonly token: string;
  readonly now: Date;
  /** After this, the attempt is presumed dead (its process crashed) and may be taken over. */
  readonly leaseUntil: Date;
  /** After this the key is forgotten: the store may delete it, and a new attempt starts afresh. */
  readonly expiresAt: Date;
}

/**
 * What `begin` found:
 * - `started`: this attempt holds the key (no one had it, its holder's lease ran out or it was
 *   abandoned, or its record expired); carry the request out, then `finish` or `abandon`.
 *   `fresh` when no attempt held the key before (no record at all): then nothing the request
 *   writes can be stored yet, so there is no earlier write to look for;
 * - `inFlight`: another attempt holds the key and its lease runs;
 * - `completed`: a request with this key was carried out; its fingerprint tells whether this
 *   request is a retry of it.
 */
export type IdempotentBegin =
  | { readonly kind: 'started'; readonly fresh: boolean }
  | { readonly kind: 'inFlight' }
  | {
      readonly kind: 'completed';
      readonly fingerprint: string;
      readonly outcome: StoredOutcome;
    };

/**
 * The outcomes of requests sent with an `Idempotency-Key`, shared by every gateway: keys are
 * unique across the store, whatever route they were sent to.
 */
export interface IdempotencyStore {
  begin(key: string, attempt: IdempotentAttempt): Promise<IdempotentBegin>;
  /** Remembers the outcome, if this attempt (`token`) still holds the key; a no-op otherwise. */
  finish(key: string, token: string, outcome: StoredOutcome, expiresAt: Date): Promise<void>;
  /**
   * Lets the key go, if this attempt still holds it, so that a retry runs the request again at
   * once (without waiting for the lease). The record stays, marked: the retry is not `fresh`,
   * since this attempt may have stored something before it failed.
   */
  abandon(key: string, token: string): Promise<void>;
}
