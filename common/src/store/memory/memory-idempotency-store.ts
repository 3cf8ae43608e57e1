import type {
  IdempotencyStore,
  IdempotentAttempt,
  IdempotentBegin,
  StoredOutcome,
} from '../idempotency-store';
import { ABANDONED_LEASE, type KeyRecord, standingOf, startedFrom } from '../idempotency-rules';
import { OutageSwitch } from './outage-switch';

/** Begins between two sweeps of expired keys: MongoDB's TTL monitor does that job there. */
const SWEEP_EVERY = 10_000;

/** The same rules as the MongoDB adapter's `IdempotentRequests`, in one map. */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, KeyRecord>();
  private beginsSinceSweep = 0;

  constructor(private readonly outage = new OutageSwitch()) {}

  async begin(key: string, attempt: IdempotentAttempt): Promise<IdempotentBegin> {
    this.outage.check('begin an idempotent request');
    if (++this.beginsSinceSweep >= SWEEP_EVERY) this.sweep(attempt.now);
    const record = this.records.get(key);
    const standing = standingOf(record, attempt.now);
    if (standing !== 'free') return standing;
    const { fingerprint, token, leaseUntil, expiresAt } = attempt;
    this.records.set(key, { fingerprint, token, leaseUntil, expiresAt, outcome: null });
    return startedFrom(record, attempt.now);
  }

  async finish(key: string, token: string, outcome: StoredOutcome, expiresAt: Date): Promise<void> {
    this.outage.check('finish an idempotent request');
    this.remember(key, token, outcome, expiresAt);
  }

  /** `finish` without the outage check: also what an append carrying the outcome does. */
  remember(key: string, token: string, outcome: StoredOutcome, expiresAt: Date): void {
    const record = this.records.get(key);
    if (record?.token === token) this.records.set(key, { ...record, outcome, expiresAt });
  }

  async abandon(key: string, token: string): Promise<void> {
    this.outage.check('abandon an idempotent request');
    const record = this.records.get(key);
    if (record?.token === token) this.records.set(key, { ...record, leaseUntil: ABANDONED_LEASE });
  }

  private sweep(now: Date): void {
    this.beginsSinceSweep = 0;
    for (const [key, record] of this.records)
      if (record.expiresAt.getTime() <= now.getTime()) this.records.delete(key);
  }
}
