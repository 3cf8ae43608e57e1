import { compareIds, type User } from '@user-service/common/domain';
import { type Store, wrapStore } from '@user-service/common/store';
import { problemTypeOf } from '@user-service/test-support';
import {
  type MasterKeyring,
  newMasterKeyText,
  parseMasterKeys,
  rotateMasterKey,
} from '@user-service/common/personal-data';
import { InMemoryStore } from '@user-service/common/store/memory';
import type { InProcessCluster } from '@user-service/launcher';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Answer, type ApiClient, apiClient } from './http-client';
import { startTestSystem, untilAggregatorsReady } from './test-system';

const USERS = 50;
const WORKERS = 5;
/** Users erased while the rotation runs: their keys are destroyed under it. */
const ERASED = ['user-07', 'user-23', 'user-41'];

const [oldText, newText] = [newMasterKeyText(), newMasterKeyText()];
const oldRing = parseMasterKeys(oldText, 'the old DATA_KEY');
const rotatingRing = parseMasterKeys(`${newText},${oldText}`, 'DATA_KEY during the rotation');
const newRing = parseMasterKeys(newText, 'the new DATA_KEY');

const idOf = (n: number) => `user-${String(n).padStart(2, '0')}`;
const byId = (a: User, b: User) => compareIds(a.id, b.id);

/**
 * Rotating the master key (`npm run rotate-data-key`) while the system serves: every process
 * holds the new master key first and the old one after it, the data keys are rewrapped under
 * load, and then a system holding only the new master key reads every user.
 */
describe('rotating the master key while the system serves, on the in-memory store', () => {
  let store: InMemoryStore;
  /** The store as the systems get it: closing a system leaves it open for the next one. */
  let kept: Store;
  let system: InProcessCluster | undefined;
  let api: ApiClient;
  /** Every live user as the API acknowledged it. */
  const expected = new Map<string, User>();

  async function startSystem(masterKeys: MasterKeyring): Promise<void> {
    await system?.close();
    system = await startTestSystem({ store: kept, masterKeys });
    api = apiClient(system.gateway.url);
    await untilAggregatorsReady(system, [0, 1, 2]);
  }

  beforeAll(async () => {
    store = new InMemoryStore();
    kept = wrapStore(store, { close: async () => {} });
  });

  afterAll(async () => {
    await system?.close();
    await store.close();
  });

  it('rewraps every data key under load, every request answered 2xx, and the new master key alone then reads every user', async () => {
    // A system holding only the old master key creates the users.
    await startSystem(oldRing);
    for (let n = 0; n < USERS; n++) {
      const user = { id: idOf(n), name: `User ${n}`, email: `User${n}@Example.org`, group: n % 4 };
      const answer = await api.create(user);
      expect({ id: user.id, status: answer.status }).toEqual({ id: user.id, status: 201 });
      expected.set(user.id, user);
    }
    const underOld = await store.dataKeys.wrappedOtherwise(newRing.current.id, undefined, 1000);
    expect(underOld.length).toBe(USERS + 1); // and the email index's key

    // Every process now holds the new master key first, and the old one after it.
    await startSystem(rotatingRing);

    const answers: Array<{ request: string; status: number }> = [];
    let rotating: 'before' | 'during' | 'after' = 'before';
    let answeredDuring = 0;
    const record = (request: string, answer: Answer) => {
      answers.push({ request, status: answer.status });
      if (rotating === 'during') answeredDuring++;
      return answer;
    };

    // Each worker owns the users n % WORKERS === w, so each user's latest name is known.
    async function worker(w: number): Promise<void> {
      const own = Array.from({ length: USERS }, (_, n) => n).filter(
        (n) => n % WORKERS === w && !ERASED.includes(idOf(n)),
      );
      for (let round = 0; rotating !== 'after' || round < 3; round++) {
        const id = idOf(own[round % own.length]!);
        const name = `User ${id} renamed ${round}`;
        record(`PUT ${id}`, await api.update({ id, name }));
        expected.set(id, { ...expected.get(id)!, name });
        const read = record(`GET ${id}`, await api.get(id));
        expect({ id, body: read.body }).toEqual({ id, body: expected.get(id) });
        const created = {
          id: `new-${w}-${round}`,
          name: `New ${w}.${round}`,
          email: `new.${w}.${round}@example.org`,
          group: w,
        };
        record(`POST ${created.id}`, await api.create(created));
        expected.set(created.id, created);
      }
    }

    async function eraser(): Promise<void> {
      while (rotating === 'before') await sleep(2);
      for (const id of ERASED) {
        record(
          `DELETE ${id}/personal-data`,
          await api.send('DELETE', `/api/user/${id}/personal-data`),
        );
        expected.delete(id);
        await sleep(20);
      }
    }

    // Each rewrap takes a few milliseconds, as against a remote MongoDB, so the run spans the load.
    const slowKeys = wrapStore(store, {
      dataKeys: {
        rewrap: async (...args) => {
          await sleep(3);
          return store.dataKeys.rewrap(...args);
        },
      },
    }).dataKeys;
    async function rotation() {
      while (answers.length < 2 * WORKERS) await sleep(5);
      rotating = 'during';
      try {
        return await rotateMasterKey(slowKeys, rotatingRing, { pageSize: 8 });
      } finally {
        rotating = 'after';
      }
    }

    const [result] = await Promise.all([
      rotation(),
      eraser(),
      ...Array.from({ length: WORKERS }, (_, w) => worker(w)),
    ]);

    expect(answers.filter(({ status }) => status < 200 || status > 299)).toEqual([]);
    expect(answeredDuring).toBeGreaterThanOrEqual(20);
    expect(result.rewrapped + result.skipped).toBeGreaterThanOrEqual(USERS + 1 - ERASED.length);
    expect(await store.dataKeys.wrappedOtherwise(newRing.current.id, undefined, 1000)).toEqual([]);
    expect((await store.dataKeys.get(ERASED)).size).toBe(0);

    // The old master key is retired: a system holding only the new one reads everything.
    await startSystem(newRing);

    for (const user of expected.values()) {
      const read = await api.get(user.id);
      expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: user });
    }
    for (const id of ERASED) expect((await api.get(id)).status).toBe(404);
    const list = await api.send('GET', '/api/user?limit=1000');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([...expected.values()].sort(byId));
    // The email index's key is the same key: an email held before the rotation is still taken.
    const taken = await api.create({
      id: 'late',
      name: 'Late',
      email: 'user1@example.ORG',
      group: 1,
    });
    expect(taken.status).toBe(409);
    expect(problemTypeOf(taken.body)).toBe('/problems/email-taken');
    expect(
      (await api.create({ id: 'late', name: 'Late', email: 'late@x.org', group: 1 })).status,
    ).toBe(201);
  });
});
