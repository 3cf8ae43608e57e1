import { foldEvents, initialUserState, type UserState } from '@user-service/common/domain';
import { type PersonalData } from '@user-service/common/personal-data';
import { type Store } from '@user-service/common/store';

/**
 * The exact current state of one user, straight from the store, its personal data opened: its
 * snapshot (if any) plus the events stored after it. Used where an aggregator's copy cannot be
 * trusted to be current. A tombstone is not started from: it does not tell a deleted user from
 * an erased one, and erasing again must append nothing (a deleted id is rarely written to).
 */
export async function loadUserState(
  store: Store,
  personalData: PersonalData,
  userId: string,
): Promise<UserState> {
  const snapshot = await store.snapshots.loadUser(userId);
  const start = snapshot?.user ? await personalData.openEntry(snapshot) : initialUserState;
  const events = await store.events.readUserEvents(userId, start.version);
  return foldEvents(start, await personalData.openEvents(userId, events));
}
