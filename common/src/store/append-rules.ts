import type { UserEvent } from '../domain';

/**
 * The shape every append must have, checked the same way by every adapter: these are caller bugs,
 * so they throw before anything is written.
 */
export function assertAppendable(
  userId: string,
  expectedVersion: number,
  events: readonly UserEvent[],
): { readonly firstEventId: string } {
  const [first] = events;
  if (!first) throw new Error('append needs at least one event');
  events.forEach((event, index) => {
    if (event.userId !== userId) {
      throw new Error(`event ${event.eventId} belongs to user ${event.userId}, not ${userId}`);
    }
    if (event.version !== expectedVersion + index + 1) {
      throw new Error(
        `event ${event.eventId} has version ${event.version}, expected ${expectedVersion + index + 1}`,
      );
    }
  });
  return { firstEventId: first.eventId };
}
