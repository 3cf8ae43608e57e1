import { type AppendResult, type Store } from '@user-service/common/store';
import { ephemeralMasterKeys, PersonalData } from '@user-service/common/personal-data';
import { type UserEvent } from '@user-service/common/domain';

/**
 * The master key of every process a test starts (one per test worker): the gateway seals with
 * it what the aggregators must open, and tests that store events themselves seal with it too.
 */
export const TEST_MASTER_KEYS = ephemeralMasterKeys();

const personalDataByStore = new WeakMap<Store, PersonalData>();

/** Seals and opens as the processes of a test on `store` do. */
export function testPersonalData(store: Store): PersonalData {
  let personalData = personalDataByStore.get(store);
  if (!personalData) {
    personalData = new PersonalData(store.dataKeys, TEST_MASTER_KEYS);
    personalDataByStore.set(store, personalData);
  }
  return personalData;
}

/** Appends as a gateway does: personal data sealed with the user's key, the email claimed by its hash. */
export async function appendSealed(
  store: Store,
  userId: string,
  expectedVersion: number,
  events: readonly UserEvent[],
): Promise<AppendResult> {
  const sealed = await testPersonalData(store).sealForAppend(userId, expectedVersion, events);
  return store.events.append(userId, expectedVersion, sealed.events, {
    emailClaim: sealed.emailClaim,
  });
}
