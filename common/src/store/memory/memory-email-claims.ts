import type { EmailClaim } from '../event-store';
import { EmailTakenError } from '../errors';

/**
 * Which user holds each email (by its keyed hash), as the MongoDB adapter's `EmailClaims` collection
 * does: the event store checks and applies a change in the same synchronous step as the append.
 */
export class MemoryEmailClaims {
  private readonly holders = new Map<string, string>();
  private readonly emailOf = new Map<string, string>();

  /**
   * Applies what an append does to the emails its user holds, or throws EmailTakenError, having
   * changed nothing, when it would take an email another user holds.
   */
  change(userId: string, change: EmailClaim | undefined): void {
    if (!change) return;
    if (change.kind === 'hold') {
      const holder = this.holders.get(change.key);
      if (holder !== undefined && holder !== userId) throw new EmailTakenError(userId);
    }
    const held = this.emailOf.get(userId);
    if (held !== undefined) this.holders.delete(held);
    this.emailOf.delete(userId);
    if (change.kind === 'hold') {
      this.holders.set(change.key, userId);
      this.emailOf.set(userId, change.key);
    }
  }
}
