import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { StoreMisconfiguredError, StoreUnavailableError } from '../errors';
import type { StoreLayout } from '../partition-leases';
import { COLLECTIONS, type SettingsDocument } from './schema';

/**
 * Writes the layout once (mongo-init's first run) and checks it on every later run: the partition
 * count of a database that has one never changes here, since every stored event carries its
 * partition (docs/decisions/0015 says how to grow it).
 */
export async function ensureLayout(db: Db, partitions: number): Promise<StoreLayout> {
  const settings = db.collection<SettingsDocument>(COLLECTIONS.settings);
  const layout = await settings.findOneAndUpdate(
    { _id: 'layout' },
    { $setOnInsert: { partitions, storeId: randomUUID() } },
    { upsert: true, returnDocument: 'after' },
  );
  if (!layout) throw new Error('MongoDB answered no layout to an upsert');
  if (layout.partitions !== partitions) {
    throw new StoreMisconfiguredError(
      `database "${db.databaseName}" was initialised with ${layout.partitions} partitions, not PARTITIONS=${partitions}: set PARTITIONS=${layout.partitions} (docs/decisions/0015 says how to grow it)`,
    );
  }
  return { partitions: layout.partitions, storeId: layout.storeId };
}

/** The layout mongo-init wrote; StoreMisconfiguredError when it never ran on this database. */
export async function readLayout(db: Db, timeoutMs: number): Promise<StoreLayout> {
  let layout: SettingsDocument | null;
  try {
    layout = await db
      .collection<SettingsDocument>(COLLECTIONS.settings)
      .findOne({ _id: 'layout' }, { maxTimeMS: timeoutMs });
  } catch (error) {
    throw new StoreUnavailableError('MongoDB failed to read the layout', { cause: error });
  }
  if (!layout)
    throw new StoreMisconfiguredError(
      `database "${db.databaseName}" has no layout (its partition count): run mongo-init first`,
    );
  return { partitions: layout.partitions, storeId: layout.storeId };
}
