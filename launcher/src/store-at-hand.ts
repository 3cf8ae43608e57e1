import { obtainMongod } from './mongod-binary';

export type StoreAtHand =
  | { readonly store: 'mongo' }
  | {
      readonly store: 'memory';
      /** Why not MongoDB, in words fit to show. */ readonly noMongo: string;
    };

/**
 * For runs that never wait for a download (the benchmark, the chaos drill): MongoDB when
 * MONGO_URL is set or a mongod is here already, else the in-memory store.
 */
export async function storeAtHand(): Promise<StoreAtHand> {
  if (process.env.MONGO_URL) return { store: 'mongo' };
  const found = await obtainMongod({ download: false });
  return found.binary === undefined
    ? { store: 'memory', noMongo: found.reason }
    : { store: 'mongo' };
}
