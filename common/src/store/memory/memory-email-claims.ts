import { type EmailClaimChange } from '../../domain';
import { EmailTakenError } from '../errors';

/**
 * Which user holds each (normalised) email, as the MongoDB adapter's `EmailClaims` collection
 * does: the event store checks and applies a change in the same synchronous step as the append.
 */
export class MemoryEmailClaims {
  private readonly holders = new Map<string, string>();
  private readonly emailOf = new Map<string, string>();

  /** Throws EmailTakenError when `change` would take an email another user holds. */
  check(userId: string, change: EmailClaimChange | undefined): void {
    if (change?.kind !== 'hold') return;
    const holder = this.holders.get(change.email);
    if (holder !== undefined && holder !== userId) throw new EmailTakenError(userId);
  }

  apply(userId: string, change: EmailClaimChange | undefined): void {
    if (!change) return;
    const held = this.emailOf.get(userId);
    if (held !== undefined) this.holders.delete(held);
    this.emailOf.delete(userId);
    if (change.kind === 'hold') {
      this.holders.set(change.email, userId);
      this.emailOf.set(userId, change.email);
    }
  }
}
