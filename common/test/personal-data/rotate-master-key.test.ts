import { type UserEvent } from '@user-service/common/domain';
import { wrapStore } from '@user-service/common/store';
import {
  EMAIL_INDEX_OWNER,
  MasterKeyError,
  newMasterKeyText,
  parseMasterKeys,
  PersonalData,
  rotateMasterKey,
} from '@user-service/common/personal-data';
import { InMemoryStore } from '@user-service/common/store/memory';
import { created, eventsFor, fieldsFor } from '@user-service/test-support';

const [oldText, newText] = [newMasterKeyText(), newMasterKeyText()];
const oldRing = parseMasterKeys(oldText, 'old');
const newRing = parseMasterKeys(newText, 'new');
const rotatingRing = parseMasterKeys(`${newText},${oldText}`, 'new and old');

const USERS = 7;
const ids = Array.from({ length: USERS }, (_, n) => `user-${n}`);
/** Every data key: one per user, and the email index's. */
const owners = [EMAIL_INDEX_OWNER, ...ids];

/** A store whose users were all written by processes holding only the old master key. */
async function storeUnderOldKey(): Promise<InMemoryStore> {
  const store = new InMemoryStore();
  const writer = new PersonalData(store.dataKeys, oldRing);
  for (const [n, id] of ids.entries()) {
    const sealed = await writer.sealForAppend(id, 0, eventsFor(id, 0, created(fieldsFor(n))));
    await store.events.append(id, 0, sealed.events, { emailClaim: sealed.emailClaim });
  }
  return store;
}

async function keysOf(store: InMemoryStore) {
  return store.dataKeys.get(owners);
}

async function eventsOf(store: InMemoryStore): Promise<UserEvent[][]> {
  return Promise.all(ids.map((id) => store.events.readUserEvents(id)));
}

describe('rotateMasterKey', () => {
  let store: InMemoryStore;

  beforeEach(async () => {
    store = await storeUnderOldKey();
  });

  it('rewraps every key under the old master key to the new one, keeping each key, page by page', async () => {
    const before = await keysOf(store);
    const progress: number[] = [];

    const result = await rotateMasterKey(store.dataKeys, rotatingRing, {
      pageSize: 3,
      onProgress: (rewrapped) => progress.push(rewrapped),
    });

    expect(result).toEqual({ rewrapped: owners.length, skipped: 0 });
    expect(await store.dataKeys.wrappedOtherwise(newRing.current.id, undefined, 1000)).toEqual([]);
    const after = await keysOf(store);
    expect([...after.keys()].sort()).toEqual([...owners].sort());
    for (const owner of owners) {
      expect(after.get(owner)?.masterKeyId).toBe(newRing.current.id);
      expect(after.get(owner)?.keyId).toBe(before.get(owner)?.keyId);
      expect(after.get(owner)?.wrapped).not.toBe(before.get(owner)?.wrapped);
    }
    expect(progress).toEqual([3, 6, 8]);
  });

  it('touches no event, and a process holding only the new master key then opens every user and keeps the email hashes', async () => {
    const events = await eventsOf(store);
    const hashBefore = await new PersonalData(store.dataKeys, oldRing).emailKey(
      'user1@example.com',
    );

    await rotateMasterKey(store.dataKeys, rotatingRing);

    expect(await eventsOf(store)).toEqual(events);
    const reader = new PersonalData(store.dataKeys, newRing);
    for (const [n, id] of ids.entries()) {
      const opened = await reader.openEvents(id, await store.events.readUserEvents(id));
      expect(opened.map((event) => event.data)).toEqual([fieldsFor(n)]);
    }
    expect(await reader.emailKey('user1@example.com')).toBe(hashBefore);
  });

  it('skips a key destroyed by an erasure during the run, and rotates the others', async () => {
    const victim = ids[3]!;
    const racing = wrapStore(store, {
      dataKeys: {
        rewrap: async (owner, from, to) => {
          if (owner === victim) await store.dataKeys.destroy(victim);
          return store.dataKeys.rewrap(owner, from, to);
        },
      },
    });

    const result = await rotateMasterKey(racing.dataKeys, rotatingRing, { pageSize: 2 });

    expect(result).toEqual({ rewrapped: owners.length - 1, skipped: 1 });
    expect((await store.dataKeys.get([victim])).size).toBe(0);
    expect(await store.dataKeys.wrappedOtherwise(newRing.current.id, undefined, 1000)).toEqual([]);
  });

  it('two runs at once rewrap each key exactly once between them, and neither fails: a key the other got first is skipped', async () => {
    const [first, second] = await Promise.all([
      rotateMasterKey(store.dataKeys, rotatingRing, { pageSize: 2 }),
      rotateMasterKey(store.dataKeys, rotatingRing, { pageSize: 2 }),
    ]);

    expect(first.rewrapped + second.rewrapped).toBe(owners.length);
    expect(first.skipped + second.skipped).toBeGreaterThan(0);
    expect(await store.dataKeys.wrappedOtherwise(newRing.current.id, undefined, 1000)).toEqual([]);
  });

  it('running it again is a no-op: nothing rewrapped, nothing rewritten', async () => {
    await rotateMasterKey(store.dataKeys, rotatingRing);
    const rotated = await keysOf(store);

    const again = await rotateMasterKey(store.dataKeys, rotatingRing);

    expect(again).toEqual({ rewrapped: 0, skipped: 0 });
    expect(await keysOf(store)).toEqual(rotated);
  });

  it('with a ring lacking the old master key, fails with MasterKeyError naming its id, never a key, and changes nothing', async () => {
    const before = await keysOf(store);

    const failure = await rotateMasterKey(store.dataKeys, newRing).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(MasterKeyError);
    const message = (failure as MasterKeyError).message;
    expect(message).toContain(oldRing.current.id);
    for (const secret of [
      oldText,
      newText,
      ...[oldRing, newRing].map((r) => r.current.key.toString('hex')),
    ])
      expect(message).not.toContain(secret);
    expect(await keysOf(store)).toEqual(before);
  });

  it('refuses a page size that is not a positive integer', async () => {
    await expect(rotateMasterKey(store.dataKeys, rotatingRing, { pageSize: 0 })).rejects.toThrow(
      /pageSize/,
    );
  });
});
