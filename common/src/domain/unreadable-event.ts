/**
 * A stored event this code cannot fold: a type it does not know (written by a newer version
 * during a rolling deploy) or data of the wrong shape. The user's state past it is unknown, so
 * whoever meets it must not answer with a guess.
 */
export class UnreadableEventError extends Error {
  override name = 'UnreadableEventError';
  constructor(
    readonly eventId: string,
    readonly userId: string,
    readonly problem: string,
  ) {
    super(`event ${eventId} of user ${userId} cannot be read: ${problem}`);
  }
}
