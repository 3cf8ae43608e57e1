import {
  type AppendEffects,
  type DataKeyStore,
  type EventStore,
  type StoredOutcome,
  StoreUnavailableError,
  VersionConflictError,
} from '@user-service/common/store';
import { type User, type UserEvent, type UserEventBody } from '@user-service/common/domain';
import {
  EMAIL_INDEX_OWNER,
  type MasterKeyring,
  parseMasterKeys,
  newMasterKeyText,
  keyRefOf,
  PersonalData,
  recordKeyRef,
  sealAndAppend,
} from '@user-service/common/personal-data';
import { InMemoryStore } from '@user-service/common/store/memory';
import { created, deleted, erased, eventsFor, updated } from '@user-service/test-support';

const ring: MasterKeyring = parseMasterKeys(newMasterKeyText(), 'a test key');

const ADA = { name: 'Ada Lovelace', email: 'Ada@Analytical.org', group: 1 };
const BOB = { name: 'Bob Babbage', email: 'bob@engine.org', group: 2 };
const CY = { name: 'Cy Żółć 🦄', email: 'cy@example.com', group: 3 };

/** A "process": its own PersonalData, with its own cache, on a shared store. */
const processOn = (store: InMemoryStore, cacheSize?: number) =>
  new PersonalData(store.dataKeys, ring, cacheSize === undefined ? {} : { size: cacheSize });

/** Seals and appends as a gateway does; the events as stored. */
async function write(
  personalData: PersonalData,
  store: InMemoryStore,
  userId: string,
  afterVersion: number,
  ...bodies: UserEventBody[]
): Promise<UserEvent[]> {
  const key = personalData.keyIn(userId, await store.events.readUser(userId));
  const events = eventsFor(userId, afterVersion, ...bodies);
  await sealAndAppend(store.events, personalData, { version: afterVersion, key }, events);
  return store.events.readUserEvents(userId, afterVersion);
}

/**
 * What `sealAndAppend` hands the store for these events, the store left as it is: the sealed
 * events, the claim, and the rest of the effects.
 */
async function sealedFor(
  personalData: PersonalData,
  store: InMemoryStore,
  userId: string,
  afterVersion: number,
  events: readonly UserEvent[],
): Promise<{
  events: UserEvent[];
  emailClaim: AppendEffects['emailClaim'];
  effects: AppendEffects;
}> {
  let sent: { events: UserEvent[]; effects: AppendEffects } | undefined;
  const recorder: Pick<EventStore, 'append'> = {
    append: async (_userId, _version, given, effects = {}) => {
      sent = { events: [...given], effects };
      return { outcome: 'appended', position: '0' };
    },
  };
  const key = personalData.keyIn(userId, await store.events.readUser(userId));
  await sealAndAppend(recorder as EventStore, personalData, { version: afterVersion, key }, events);
  if (!sent) throw new Error('nothing was appended');
  return { ...sent, emailClaim: sent.effects.emailClaim };
}

/** The data key calls a PersonalData makes, one line each, in order. */
function recording(keys: DataKeyStore): { keys: DataKeyStore; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    keys: {
      getOrCreate: (owner, candidate) => {
        calls.push(`getOrCreate ${owner}`);
        return keys.getOrCreate(owner, candidate);
      },
      get: (owners) => {
        calls.push(`get ${owners.join(',')}`);
        return keys.get(owners);
      },
      destroy: (owner) => {
        calls.push(`destroy ${owner}`);
        return keys.destroy(owner);
      },
      wrappedOtherwise: (...args) => keys.wrappedOtherwise(...args),
      rewrap: (...args) => keys.rewrap(...args),
    },
  };
}

/** A stored user as a snapshot holds it: the sealed fields of its create. */
function sealedUser(userId: string, [create]: UserEvent[]): User {
  if (create?.type !== 'UserCreated') throw new Error('expected a UserCreated');
  const { name, email, group } = create.data;
  if (name === null || email === null) throw new Error('expected sealed fields');
  return { id: userId, name, email, group };
}

const dataOf = (events: readonly UserEvent[]) => events.map((event) => event.data);

const entry = (userId: string, user: User | null, version = 1) => ({
  userId,
  partition: 0,
  version,
  user,
});

describe('PersonalData', () => {
  let store: InMemoryStore;
  let personalData: PersonalData;

  beforeEach(() => {
    store = new InMemoryStore();
    personalData = processOn(store);
  });

  describe('sealAndAppend', () => {
    it('seals the name and email of a create: the result holds neither in plain', async () => {
      const events = eventsFor('ada', 0, created(ADA));

      const sealed = await sealedFor(personalData, store, 'ada', 0, events);

      const text = JSON.stringify(sealed);
      for (const plain of [ADA.name, ADA.email, ADA.email.toLowerCase(), 'Lovelace', 'Analytical'])
        expect(text).not.toContain(plain);
      const [event] = sealed.events;
      expect(event).toMatchObject({
        type: 'UserCreated',
        eventId: events[0]!.eventId,
        version: 1,
        data: { group: 1 },
      });
      const data = event?.data as Record<string, string>;
      // One sealed record for both fields, naming the user's key.
      expect(recordKeyRef(data.name!)).toBeDefined();
      expect(data.email).toBe(data.name);
    });

    it('claims the email by a keyed hash: not the email, the same for any case, different in another store', async () => {
      const upper = await sealedFor(
        personalData,
        store,
        'ada',
        0,
        eventsFor('ada', 0, created(ADA)),
      );
      const lower = await sealedFor(
        personalData,
        store,
        'bob',
        0,
        eventsFor('bob', 0, created({ ...BOB, email: ADA.email.toLowerCase() })),
      );
      const otherStore = new InMemoryStore();
      const elsewhere = await sealedFor(
        processOn(otherStore),
        otherStore,
        'ada',
        0,
        eventsFor('ada', 0, created(ADA)),
      );

      expect(upper.emailClaim?.kind).toBe('hold');
      const key = upper.emailClaim?.kind === 'hold' ? upper.emailClaim.key : '';
      expect(key).not.toBe(ADA.email);
      expect(key).not.toBe(ADA.email.toLowerCase());
      expect(key).not.toContain('Analytical');
      expect(key).not.toContain('analytical');
      expect(lower.emailClaim).toEqual(upper.emailClaim);
      expect(elsewhere.emailClaim?.kind).toBe('hold');
      expect(elsewhere.emailClaim).not.toEqual(upper.emailClaim);
    });

    it('an update of the email claims the new one; a delete or an erasure releases', async () => {
      await write(personalData, store, 'ada', 0, created(ADA));

      const update = await sealedFor(
        personalData,
        store,
        'ada',
        1,
        eventsFor('ada', 1, updated({ email: 'ada@new.org' })),
      );
      const remove = await sealedFor(personalData, store, 'ada', 1, eventsFor('ada', 1, deleted()));
      const erase = await sealedFor(personalData, store, 'ada', 1, eventsFor('ada', 1, erased()));

      expect(update.emailClaim).toEqual({
        kind: 'hold',
        key: await personalData.emailKey('ada@new.org'),
      });
      expect(JSON.stringify(update)).not.toContain('ada@new.org');
      expect(remove.emailClaim).toEqual({ kind: 'release' });
      expect(erase.emailClaim).toEqual({ kind: 'release' });
    });

    it('an update meeting no key (an erasure got in first) throws VersionConflictError', async () => {
      await expect(
        sealedFor(personalData, store, 'ada', 1, eventsFor('ada', 1, updated({ name: 'Ada' }))),
      ).rejects.toBeInstanceOf(VersionConflictError);
    });

    it('an update of the group alone needs no key', async () => {
      const events = eventsFor('ada', 1, updated({ group: 7 }));

      const sealed = await sealedFor(personalData, store, 'ada', 1, events);

      expect(sealed.events).toEqual(events);
      expect(sealed.emailClaim).toBeUndefined();
    });
  });

  describe('openEvents', () => {
    it('opens what was sealed, to the very events given', async () => {
      const given = [
        ...eventsFor('ada', 0, created(ADA)),
        ...eventsFor('ada', 1, updated({ name: 'Ada King', group: 4 })),
      ];
      const key = personalData.keyIn('ada', await store.events.readUser('ada'));
      await sealAndAppend(store.events, personalData, { version: 0, key }, given);
      const sealed = await store.events.readUserEvents('ada');

      expect(await personalData.openEvents('ada', sealed)).toEqual(given);
      expect(await processOn(store).openEvents('ada', sealed)).toEqual(given);
    });

    it('a UserErased destroys the key with its append, and every event before the last erasure reads null, other fields kept', async () => {
      const history = [
        ...(await write(personalData, store, 'ada', 0, created(ADA))),
        ...(await write(personalData, store, 'ada', 1, updated({ name: 'Ada King', group: 4 }))),
      ];
      const recorder = recording(store.dataKeys);
      const eraser = new PersonalData(recorder.keys, ring);

      const key = eraser.keyIn('ada', await store.events.readUser('ada'));
      await sealAndAppend(store.events, eraser, { version: 2, key }, eventsFor('ada', 2, erased()));

      // The key dies in the erasure's append, not by a call of its own before it.
      expect(recorder.calls).toEqual([]);
      expect(await store.dataKeys.get(['ada'])).toEqual(new Map());
      const stored = await store.events.readUserEvents('ada');
      const opened = await processOn(store).openEvents('ada', stored);
      expect(dataOf(opened)).toEqual([
        { name: null, email: null, group: 1 },
        { name: null, group: 4 },
        { deleted: true },
      ]);
      expect(opened.map(({ eventId, version, type }) => ({ eventId, version, type }))).toEqual(
        [...history, ...stored.slice(2)].map(({ eventId, version, type }) => ({
          eventId,
          version,
          type,
        })),
      );
      // Even a process that still has the key cached reads the erased events null.
      expect(dataOf(await personalData.openEvents('ada', stored))[0]).toEqual({
        name: null,
        email: null,
        group: 1,
      });
    });

    it('an erasure the store cannot take (store down) changes nothing: the key lives, no event is stored', async () => {
      await write(personalData, store, 'ada', 0, created(ADA));
      const key = personalData.keyIn('ada', await store.events.readUser('ada'));
      store.outage.setDown(true);

      await expect(
        sealAndAppend(
          store.events,
          personalData,
          { version: 1, key },
          eventsFor('ada', 1, erased()),
        ),
      ).rejects.toBeInstanceOf(StoreUnavailableError);

      store.outage.setDown(false);
      expect((await store.dataKeys.get(['ada'])).size).toBe(1);
      expect(await store.events.readUserEvents('ada')).toHaveLength(1);
    });

    it('a user created again after its erasure gets a new key: the old incarnation stays null, the new one opens', async () => {
      await write(personalData, store, 'ada', 0, created(ADA));
      await write(personalData, store, 'ada', 1, erased());
      await write(personalData, store, 'ada', 2, created(BOB));

      const opened = await processOn(store).openEvents(
        'ada',
        await store.events.readUserEvents('ada'),
      );

      expect(dataOf(opened)).toEqual([
        { name: null, email: null, group: 1 },
        { deleted: true },
        BOB,
      ]);
    });
  });

  describe('across processes', () => {
    it('a process whose cached key another process destroyed reads null when it checks keys, and re-creates with a new key', async () => {
      const gatewayA = processOn(store);
      const gatewayB = processOn(store);
      const [oldCreate] = await write(gatewayA, store, 'ada', 0, created(ADA));
      // A holds the key in its cache: it opens the user's events.
      expect(dataOf(await gatewayA.openEvents('ada', [oldCreate!]))).toEqual([ADA]);
      const oldKeyId = (await store.dataKeys.get(['ada'])).get('ada')?.keyId;

      await write(gatewayB, store, 'ada', 1, erased());

      expect(dataOf(await gatewayA.openEvents('ada', [oldCreate!], { checkKeys: true }))).toEqual([
        { name: null, email: null, group: 1 },
      ]);

      const [recreate] = await write(gatewayA, store, 'ada', 2, created(BOB));
      const newKeyId = (await store.dataKeys.get(['ada'])).get('ada')?.keyId;
      expect(newKeyId).toBeDefined();
      expect(newKeyId).not.toBe(oldKeyId);
      const recreated = recreate?.data as Record<string, string>;
      expect(recordKeyRef(recreated.name!)).toBe(keyRefOf(newKeyId!).toString('hex'));
      expect(dataOf(await gatewayB.openEvents('ada', [recreate!]))).toEqual([BOB]);
      expect(dataOf(await gatewayA.openEvents('ada', [recreate!]))).toEqual([BOB]);
      for (const gateway of [gatewayA, gatewayB]) {
        expect(dataOf(await gateway.openEvents('ada', [oldCreate!]))).toEqual([
          { name: null, email: null, group: 1 },
        ]);
      }
    });

    it('a process that never saw the key opens what another sealed', async () => {
      const events = await write(personalData, store, 'ada', 0, created(ADA));

      expect(dataOf(await processOn(store).openEvents('ada', events))).toEqual([ADA]);
    });
  });

  describe('openUsers and openEntry', () => {
    it('opens the live users and gives null for an erased one, with one read of the keys', async () => {
      const ada = sealedUser('ada', await write(personalData, store, 'ada', 0, created(ADA)));
      const bob = sealedUser('bob', await write(personalData, store, 'bob', 0, created(BOB)));
      const cy = sealedUser('cy', await write(personalData, store, 'cy', 0, created(CY)));
      await write(personalData, store, 'bob', 1, erased());
      const recorder = recording(store.dataKeys);
      const reader = new PersonalData(recorder.keys, ring);

      const opened = await reader.openUsers([ada, bob, cy]);

      expect(opened).toEqual([{ id: 'ada', ...ADA }, null, { id: 'cy', ...CY }]);
      expect(recorder.calls).toEqual(['get ada,bob,cy']);
    });

    it('an entry of a live user whose key is destroyed reads unreadable; others as they are', async () => {
      const ada = sealedUser('ada', await write(personalData, store, 'ada', 0, created(ADA)));
      const bob = sealedUser('bob', await write(personalData, store, 'bob', 0, created(BOB)));
      // A snapshot entry saved before the erasure, read after it: its key is gone.
      await write(personalData, store, 'ada', 1, erased());
      const reader = processOn(store);

      expect(await reader.openEntry(entry('ada', ada))).toEqual({
        version: 1,
        user: null,
        erasure: 'unreadable',
      });
      expect(await reader.openEntry(entry('bob', bob))).toEqual({
        version: 1,
        user: { id: 'bob', ...BOB },
      });
      expect(await reader.openEntry(entry('cy', null, 2))).toEqual({ version: 2, user: null });
    });
    it('openPage answers the others when one user cannot be opened here, naming it; openUsers throws for it', async () => {
      // Mid-rotation: a process with a new master key (and the old) sealed bob; a process with
      // the old key alone cannot unwrap bob's key. And cy's wrapped key is damaged.
      const rotated = parseMasterKeys(`${newMasterKeyText()},${newMasterKeyText()}`, 'a ring');
      const newer: MasterKeyring = {
        current: rotated.current,
        byId: new Map([...rotated.byId, ...ring.byId]),
      };
      const ada = sealedUser('ada', await write(personalData, store, 'ada', 0, created(ADA)));
      const bob = sealedUser(
        'bob',
        await write(new PersonalData(store.dataKeys, newer), store, 'bob', 0, created(BOB)),
      );
      const cy = sealedUser('cy', await write(personalData, store, 'cy', 0, created(CY)));
      const wrapped = (await store.dataKeys.get(['cy'])).get('cy')!;
      const damaged = { ...wrapped, wrapped: `${wrapped.wrapped.slice(0, -4)}AAAA` };
      expect(await store.dataKeys.rewrap('cy', wrapped, damaged)).toBe(true);
      const reader = processOn(store);

      const page = await reader.openPage([ada, bob, cy]);

      expect(page.users).toEqual([{ id: 'ada', ...ADA }, null, null]);
      expect([...page.unopenable.keys()]).toEqual(['bob', 'cy']);
      for (const unopenable of page.unopenable.values())
        expect(unopenable.name).toBe('MasterKeyError');
      await expect(reader.openUsers([ada, bob])).rejects.toThrow(/master key/i);
    });
  });

  describe('remembered outcomes', () => {
    const answer = (body: object, userId?: string): StoredOutcome => ({
      status: 201,
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        ETag: '"1"',
        Location: '/api/user/ada',
      },
      body: JSON.stringify(body),
      ...(userId === undefined ? {} : { userId }),
    });

    it('seals a user answer for storage and gives back the very bytes sent', async () => {
      await write(personalData, store, 'ada', 0, created(ADA));
      const sent = answer({ id: 'ada', ...ADA }, 'ada');

      const stored = await personalData.sealOutcome(sent);
      const again = await processOn(store).openOutcome(stored);

      for (const plain of [ADA.name, ADA.email, 'Lovelace', 'nalytical'])
        expect(JSON.stringify(stored)).not.toContain(plain);
      expect(stored.status).toBe(201);
      expect(stored.headers).toEqual(sent.headers);
      expect(again).toEqual(sent);
      expect(again.body).toBe(sent.body);
    });

    it('after the erasure the remembered answer reads name and email null, the rest kept', async () => {
      await write(personalData, store, 'ada', 0, created(ADA));
      const stored = await personalData.sealOutcome(answer({ id: 'ada', ...ADA }, 'ada'));

      await write(processOn(store), store, 'ada', 1, erased());

      const again = await personalData.openOutcome(stored);
      expect(JSON.parse(again.body)).toEqual({ id: 'ada', name: null, email: null, group: 1 });
      expect(again.status).toBe(201);
    });

    it('passes an outcome without a user through unchanged', async () => {
      const problem = {
        status: 404,
        headers: { 'Content-Type': 'application/problem+json' },
        body: JSON.stringify({ type: '/problems/user-not-found', name: 'plain', email: 'x@y.org' }),
      };
      const empty = { status: 204, headers: {}, body: '' };

      for (const outcome of [problem, empty]) {
        expect(await personalData.sealOutcome(outcome)).toEqual(outcome);
        expect(await personalData.openOutcome(outcome)).toEqual(outcome);
      }
    });
  });

  describe('the key cache', () => {
    /** Ada, Bob and Cy created. */
    async function writeThree() {
      for (const [id, fields] of [
        ['ada', ADA],
        ['bob', BOB],
        ['cy', CY],
      ] as const)
        await write(personalData, store, id, 0, created(fields));
    }

    /** Three users written, and a reader holding two keys whose store calls are recorded. */
    async function readerOfTwoKeys() {
      await writeThree();
      const recorder = recording(store.dataKeys);
      const reader = new PersonalData(recorder.keys, ring, { size: 2 });
      const open = async (id: string) =>
        dataOf(await reader.openEvents(id, await store.events.readUserEvents(id)));
      return { calls: recorder.calls, open };
    }

    it('holds at most cacheSize keys, and fetches an evicted key again to open', async () => {
      const { calls, open } = await readerOfTwoKeys();

      expect(await open('ada')).toEqual([ADA]);
      expect(await open('bob')).toEqual([BOB]);
      expect(await open('cy')).toEqual([CY]);
      expect(await open('cy')).toEqual([CY]);
      expect(await open('ada')).toEqual([ADA]);

      expect(calls).toEqual(['get ada', 'get bob', 'get cy', 'get ada']);
    });

    it('evicts the key used least recently, not the one fetched first', async () => {
      const { calls, open } = await readerOfTwoKeys();

      await open('ada');
      await open('bob');
      await open('ada');
      await open('cy');
      await open('ada');

      expect(calls).toEqual(['get ada', 'get bob', 'get cy']);
    });

    it('holds a key for its TTL after it was fetched, then asks the store again', async () => {
      const [event] = await write(personalData, store, 'ada', 0, created(ADA));
      if (!event) throw new Error('no event');
      const recorder = recording(store.dataKeys);
      let now = 0;
      const reader = new PersonalData(recorder.keys, ring, { ttlMs: 1000, now: () => now });
      const [user] = [sealedUser('ada', [event])];
      const open = async () => (await reader.openUsers([user]))[0];

      expect(await open()).toEqual({ id: 'ada', ...ADA });
      now = 1000;
      expect(await open()).toEqual({ id: 'ada', ...ADA });
      expect(recorder.calls).toEqual(['get ada']);
      // Erased by another process meanwhile: past the TTL this one learns it from the store.
      await store.dataKeys.destroy('ada');
      now = 2001;
      expect(await open()).toBeNull();
      expect(recorder.calls).toEqual(['get ada', 'get ada']);
    });

    it('wipes the bytes of a key it lets go: evicted, forgotten at an erasure, or past its TTL', async () => {
      await writeThree();
      let now = 0;
      const reader = new PersonalData(store.dataKeys, ring, {
        size: 2,
        ttlMs: 1000,
        now: () => now,
      });
      const keyOf = async (id: string) => {
        const key = reader.keyIn(id, await store.events.readUser(id));
        if (!key) throw new Error(`no key for ${id}`);
        return key.key;
      };
      const zeros = Buffer.alloc(32);
      const [ada, bob] = [await keyOf('ada'), await keyOf('bob')];
      expect(ada.equals(zeros) || bob.equals(zeros)).toBe(false);

      const cy = await keyOf('cy'); // ada is the least recently used of three
      expect({ ada: ada.equals(zeros), bob: bob.equals(zeros) }).toEqual({ ada: true, bob: false });
      reader.forget('bob');
      expect(bob.equals(zeros)).toBe(true);
      now = 1001;
      // Past its TTL: asked of the store again, and the copy held until now wiped.
      const cyUser = sealedUser('cy', await store.events.readUserEvents('cy'));
      expect(await reader.openUsers([cyUser])).toEqual([{ id: 'cy', ...CY }]);
      expect(cy.equals(zeros)).toBe(true);
    });

    it('a write whose key was wiped while it awaited is a conflict, and stores nothing', async () => {
      await write(personalData, store, 'ada', 0, created(ADA));
      const key = personalData.keyIn('ada', await store.events.readUser('ada'));
      // This process lets the key go (its cache's bound, an erasure here) before the write seals.
      personalData.forget('ada');

      await expect(
        sealAndAppend(
          store.events,
          personalData,
          { version: 1, key },
          eventsFor('ada', 1, updated({ name: 'Ada B.' })),
        ),
      ).rejects.toThrow(VersionConflictError);
      expect(await store.events.readUserEvents('ada', 0)).toHaveLength(1);
    });

    it('neither uses nor keeps a key whose fetch was in flight when its user was erased here', async () => {
      const [event] = await write(personalData, store, 'ada', 0, created(ADA));
      if (!event) throw new Error('no event');
      let release = () => {};
      const { keys } = recording(store.dataKeys);
      const slow: DataKeyStore = {
        ...keys,
        get: async (owners) => {
          const answer = await store.dataKeys.get(owners);
          await new Promise<void>((resolve) => (release = resolve));
          return answer;
        },
      };
      const reader = new PersonalData(slow, ring);
      const user = sealedUser('ada', [event]);

      const opening = reader.openUsers([user]);
      await new Promise((resolve) => setImmediate(resolve));
      // The key was read before the erasure destroyed it; the answer arrives after.
      reader.forget('ada');
      release();

      expect(await opening).toEqual([null]);
      const again = reader.openUsers([user]);
      await new Promise((resolve) => setImmediate(resolve));
      release();
      // Not kept: asked of the store again, which still holds it here.
      expect(await again).toEqual([{ id: 'ada', ...ADA }]);
    });
  });

  describe('emailKey', () => {
    it('is the same in every process on one store, and keeps one index key per store', async () => {
      const here = await personalData.emailKey('ada@x.org');

      expect(await processOn(store).emailKey('ada@x.org')).toBe(here);
      expect(await personalData.emailKey('bob@x.org')).not.toBe(here);
      expect([...(await store.dataKeys.get([EMAIL_INDEX_OWNER])).keys()]).toEqual([
        EMAIL_INDEX_OWNER,
      ]);
    });
  });
});
