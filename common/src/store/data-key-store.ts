// The data key store port: one key per owner, whose destruction erases its personal data.

/**
 * A user's data key as stored: encrypted ("wrapped") by a master key that never reaches the store.
 * `keyId` is random per key, and every value sealed with the key names it.
 */
export interface WrappedDataKey {
  readonly keyId: string;
  /** Which master key wrapped it (a fingerprint of that key, never the key). */
  readonly masterKeyId: string;
  readonly wrapped: string;
}

/**
 * The data keys, one per owner (a user id, or a key of the system's own such as the email
 * index's). Destroying a user's key is what erases its personal data, everywhere it is stored.
 */
export interface DataKeyStore {
  /** The owner's key; if it has none, `candidate` is stored and returned. Racing calls all get the one stored. */
  getOrCreate(owner: string, candidate: WrappedDataKey): Promise<WrappedDataKey>;
  /** The keys these owners have; an owner without one is left out. */
  get(owners: readonly string[]): Promise<Map<string, WrappedDataKey>>;
  /** Durably deletes the owner's key; resolves too when there was none. */
  destroy(owner: string): Promise<void>;
  /** Up to `limit` keys not wrapped by `masterKeyId`, of owners after `after`, in owner order. */
  wrappedOtherwise(
    masterKeyId: string,
    after: string | undefined,
    limit: number,
  ): Promise<Array<{ readonly owner: string; readonly key: WrappedDataKey }>>;
  /** Replaces the owner's key `from` by `to` (the same key wrapped again); false if it is not `from` any more. */
  rewrap(owner: string, from: WrappedDataKey, to: WrappedDataKey): Promise<boolean>;
}
