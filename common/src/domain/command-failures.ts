import type { DomainError } from './decide';

/**
 * Why a command was not carried out, thrown by whoever runs commands and told to the client by
 * the HTTP layer (toProblem): the domain itself only returns values and knows no status codes.
 */

/** decide refused the command: the user's state does not allow it. */
export class CommandRejectedError extends Error {
  override name = 'CommandRejectedError';
  constructor(readonly rejection: DomainError) {
    super(`${rejection.code}: user ${rejection.userId}`);
  }
}

/** The command lost the race for the user's next version `attempts` times in a row, and was given up. */
export class TooMuchContentionError extends Error {
  override name = 'TooMuchContentionError';
  constructor(
    readonly userId: string,
    readonly attempts: number,
  ) {
    super(`gave up writing user ${userId} after losing ${attempts} races in a row`);
  }
}
