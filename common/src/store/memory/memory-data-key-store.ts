import { compareIds } from '../../domain';
import type { DataKeyStore, WrappedDataKey } from '../data-key-store';
import { OutageSwitch } from './outage-switch';

/** The data keys in one map, with the same rules as the MongoDB adapter's `DataKeys`. */
export class InMemoryDataKeyStore implements DataKeyStore {
  private readonly keys = new Map<string, WrappedDataKey>();

  constructor(private readonly outage = new OutageSwitch()) {}

  async getOrCreate(owner: string, candidate: WrappedDataKey): Promise<WrappedDataKey> {
    this.outage.check('get or create a data key');
    const stored = this.keys.get(owner);
    if (stored) return stored;
    this.keys.set(owner, { ...candidate });
    return candidate;
  }

  async get(owners: readonly string[]): Promise<Map<string, WrappedDataKey>> {
    this.outage.check('read data keys');
    const found = new Map<string, WrappedDataKey>();
    for (const owner of owners) {
      const key = this.keys.get(owner);
      if (key) found.set(owner, key);
    }
    return found;
  }

  async destroy(owner: string): Promise<void> {
    this.outage.check('destroy a data key');
    this.keys.delete(owner);
  }

  // The steps of an append that changes a key (AppendEffects), without an outage check of their
  // own: the append checked it, and applies them in its one synchronous step.

  keyOf(owner: string): WrappedDataKey | null {
    return this.keys.get(owner) ?? null;
  }

  create(owner: string, key: WrappedDataKey): void {
    this.keys.set(owner, { ...key });
  }

  delete(owner: string): void {
    this.keys.delete(owner);
  }

  async wrappedOtherwise(
    masterKeyId: string,
    after: string | undefined,
    limit: number,
  ): Promise<Array<{ owner: string; key: WrappedDataKey }>> {
    this.outage.check('list data keys');
    return [...this.keys]
      .filter(
        ([owner, key]) => key.masterKeyId !== masterKeyId && (after === undefined || owner > after),
      )
      .sort(([a], [b]) => compareIds(a, b))
      .slice(0, limit)
      .map(([owner, key]) => ({ owner, key }));
  }

  async rewrap(owner: string, from: WrappedDataKey, to: WrappedDataKey): Promise<boolean> {
    this.outage.check('rewrap a data key');
    const stored = this.keys.get(owner);
    if (!stored || stored.keyId !== from.keyId || stored.wrapped !== from.wrapped) return false;
    this.keys.set(owner, { ...to });
    return true;
  }
}
