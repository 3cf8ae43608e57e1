import type { UserEvent } from '../domain';
import { SubscriptionEndedError } from './errors';
import type { Checkpoint } from './event-store';

export type EventSink = (event: UserEvent, checkpoint: Checkpoint | null) => Promise<void>;
export type MissingEventsReader = (userId: string, afterVersion: number) => Promise<UserEvent[]>;

/**
 * The per-user version is the only order that matters, so it decides what reaches the
 * subscriber: an event is passed on only if it is the user's next version; older ones (replays,
 * overlaps between catching up and tailing) are dropped, and a gap is first filled from the store.
 */
export class VersionGate {
  private readonly heads: Map<string, number>;

  constructor(
    knownVersions: ReadonlyMap<string, number>,
    private readonly readMissing: MissingEventsReader,
    private readonly sink: EventSink,
  ) {
    this.heads = new Map(knownVersions);
  }

  async offer(event: UserEvent, checkpoint: Checkpoint | null): Promise<void> {
    const head = this.heads.get(event.userId) ?? 0;
    if (event.version <= head) return;
    if (event.version > head + 1) await this.fillGap(event.userId, head, event.version);
    await this.pass(event, checkpoint);
  }

  private async fillGap(userId: string, head: number, upTo: number): Promise<void> {
    const missing = await this.readMissing(userId, head);
    for (const event of missing) {
      if (event.version >= upTo) break;
      // Read back in version order from the store, so each one is the next version.
      if (event.version === (this.heads.get(userId) ?? 0) + 1) await this.pass(event, null);
    }
    const reached = this.heads.get(userId) ?? 0;
    if (reached !== upTo - 1) {
      // The store never stores a version without its predecessor, so this hole is damage (a
      // deleted document, say): no retry can fill it.
      throw new SubscriptionEndedError(
        'event-gap',
        `events ${reached + 1}..${upTo - 1} of user ${userId} are missing from the store`,
      );
    }
  }

  private async pass(event: UserEvent, checkpoint: Checkpoint | null): Promise<void> {
    await this.sink(event, checkpoint);
    this.heads.set(event.userId, event.version);
  }
}
