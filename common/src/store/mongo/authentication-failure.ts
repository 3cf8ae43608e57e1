import { MongoServerError, MongoSystemError } from 'mongodb';
import { hasCode, MONGO_ERROR } from './error-codes';

/**
 * Whether the server refused to log in with the credentials given: waiting cannot change that.
 * At connect the driver rejects with the server's own error (the pool's first connection failed
 * its handshake), or, when server selection gives up, with a MongoServerSelectionError whose
 * cause is the error the topology recorded, and whose `reason` holds each server's last error.
 */
export function isAuthenticationFailure(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    if (next instanceof MongoServerError && hasCode(next, MONGO_ERROR.AuthenticationFailed))
      return true;
    if (next instanceof Error && next.cause !== undefined) pending.push(next.cause);
    if (next instanceof MongoSystemError && next.reason) {
      for (const server of next.reason.servers.values())
        if (server.error) pending.push(server.error);
    }
  }
  return false;
}
