import { type Checkpoint, type SubscriptionHandler } from '@user-service/common/store';
import { type UserEvent } from '@user-service/common/domain';
import { waitUntil } from '@user-service/common/lifecycle';

/** A subscription handler that remembers what it was given, for tests to wait on and inspect. */
export class Recorder implements SubscriptionHandler {
  readonly events: UserEvent[] = [];
  historyLost = 0;
  private checkpoint: Checkpoint | null = null;
  /** How many events had been delivered when the subscription last said it was caught up. */
  private caughtUpAt = -1;

  onEvent(event: UserEvent, checkpoint: Checkpoint | null): void {
    this.events.push(event);
    if (checkpoint) this.checkpoint = checkpoint;
  }

  onCaughtUp(checkpoint: Checkpoint): void {
    this.checkpoint = checkpoint;
    this.caughtUpAt = this.events.length;
  }

  onHistoryLost(): void {
    this.historyLost += 1;
  }

  /** The checkpoint a subscriber would save now. */
  get lastCheckpoint(): Checkpoint {
    if (!this.checkpoint) throw new Error('no checkpoint reached yet');
    return this.checkpoint;
  }

  /** Per user, the highest version delivered: what a subscriber would hold. */
  heldVersions(): Map<string, number> {
    const versions = new Map<string, number>();
    for (const event of this.events) versions.set(event.userId, event.version);
    return versions;
  }

  /** Waits until at least `count` events arrived and the subscription said it had caught up after them. */
  async caughtUpWith(count: number): Promise<void> {
    await waitUntil(() => this.events.length >= count && this.caughtUpAt === this.events.length, {
      describe: () =>
        `caught up with ${count} events (have ${this.events.length}, caught up at ${this.caughtUpAt})`,
      timeoutMs: 10_000,
      intervalMs: 10,
    });
  }
}
