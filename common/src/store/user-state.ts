import { foldEvents, initialUserState, type UserState } from '../domain';
import type { Store } from './ports';

/**
 * The exact current state of one user, straight from the store: its snapshot (if any) plus the
 * events stored after it. Used where an aggregator's copy cannot be trusted to be current.
 */
export async function loadUserState(store: Store, userId: string): Promise<UserState> {
  const snapshot = await store.snapshots.loadUser(userId);
  const start: UserState = snapshot
    ? { version: snapshot.version, user: snapshot.user }
    : initialUserState;
  return foldEvents(start, await store.events.readUserEvents(userId, start.version));
}
