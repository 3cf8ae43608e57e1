/**
 * The shape every read query must have, checked the same way by every adapter before it reads:
 * these are caller bugs (MongoDB would read a limit of 0 as "no limit" and a negative one as a
 * single batch), so they throw a plain Error.
 */
export function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new Error(`a limit must be a positive integer, not ${limit}`);
}
