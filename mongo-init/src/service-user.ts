import { type Credentials } from '@user-service/common/config';
import { hasCode, MONGO_ERROR } from '@user-service/common/store/mongo';
import type { Document } from 'mongodb';

/** Runs one command against the `admin` database, as `db('admin').command(doc)` does. */
export type AdminCommand = (command: Document) => Promise<Document>;

/**
 * So that a failover right after mongo-init cannot roll the user back; bounded, so that a majority
 * lost meanwhile fails the attempt (and mongo-init at its deadline) rather than hanging `up`
 * (deployment review L2).
 */
export const MAJORITY = { w: 'majority', wtimeout: 10_000 } as const;

/**
 * Makes sure the user gateways and aggregators log in as exists in `admin` (where their driver
 * looks it up by default) with that password and exactly one role, readWrite on `database`.
 * Creates it, or when it exists already updates it, so that running again with a rotated
 * secret takes the new password, and running again unchanged changes nothing.
 */
export async function ensureServiceUser(
  command: AdminCommand,
  user: Credentials,
  database: string,
): Promise<'created' | 'updated'> {
  const roles = [{ role: 'readWrite', db: database }];
  try {
    await command({ createUser: user.username, pwd: user.password, roles, writeConcern: MAJORITY });
    return 'created';
  } catch (error) {
    if (!hasCode(error, MONGO_ERROR.UserAlreadyExists)) throw error;
  }
  await command({ updateUser: user.username, pwd: user.password, roles, writeConcern: MAJORITY });
  return 'updated';
}
