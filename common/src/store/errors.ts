export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
  constructor(
    readonly userId: string,
    readonly expectedVersion: number,
  ) {
    super(`another event was stored for user ${userId} after version ${expectedVersion}`);
  }
}

/** The store could not be reached or did not confirm a write: nothing may be assumed stored. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/** A subscription's resume point is older than the history the store still keeps. */
export class HistoryLostError extends Error {
  override name = 'HistoryLostError';
}

/** A subscription handler threw: the subscriber's bug, not the store's, so it is not retried. */
export class SubscriberError extends Error {
  override name = 'SubscriberError';
  constructor(cause: unknown) {
    super('a subscription handler failed', { cause });
  }
}
