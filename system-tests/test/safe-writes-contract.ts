import {
  type AppendResult,
  type Store,
  StoreUnavailableError,
  wrapStore,
} from '@user-service/common/store';
import { type User } from '@user-service/common/domain';
import { problemTypeMatching, problemTypeOf } from '@user-service/test-support';
import type { InProcessCluster } from '@user-service/launcher';
import { type Answer, type ApiClient, apiClient } from './http-client';
import { startTestSystem, untilAggregatorsReady } from './test-system';

const key = (value: string) => ({ 'idempotency-key': value });

/** What a replay must repeat of the first answer, and whether it is marked a replay. */
function seen(answer: Answer) {
  return {
    status: answer.status,
    body: answer.body,
    etag: answer.headers.get('etag'),
    location: answer.headers.get('location'),
    replayed: answer.headers.get('idempotent-replayed'),
  };
}

const problemType = (answer: Answer): unknown => problemTypeOf(answer.body);

/**
 * Sends until an answer comes back, as a client retrying with its key does: right after a
 * gateway restart, a pooled connection to the old one can fail before any request is read.
 */
async function untilAnswered(send: () => Promise<Answer>): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= 5 || !isConnectionFailure(error)) throw error;
    }
  }
}

/** fetch's own TypeError, made in another realm than the test's, so told by its message. */
function isConnectionFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'message' in error
    ? error.message === 'fetch failed'
    : false;
}

/**
 * Writes a client can retry, and one live user per email, through the whole system:
 * `createStore` decides what it runs on. The next append's answer can be lost (stored, then
 * 503), as a store that times out after writing would.
 */
export function defineSafeWritesContract(createStore: () => Promise<Store>): void {
  let system: InProcessCluster;
  let api: ApiClient;
  let loseNextAppendAnswer = false;

  beforeEach(async () => {
    const store = await createStore();
    const losing = wrapStore(store, {
      events: {
        append: async (...args): Promise<AppendResult> => {
          const result = await store.events.append(...args);
          if (loseNextAppendAnswer) {
            loseNextAppendAnswer = false;
            throw new StoreUnavailableError('stored, but the answer was lost (injected)');
          }
          return result;
        },
      },
    });
    system = await startTestSystem({ store: losing });
    api = apiClient(system.gateway.url);
    await untilAggregatorsReady(system, [0, 1, 2]);
  });

  afterEach(() => system.close());

  async function live(): Promise<User[]> {
    const answer = await api.send('GET', '/api/user?limit=1000');
    expect(answer.headers.get('x-consistency')).toBe('exact');
    return answer.body as User[];
  }

  describe('Idempotency-Key', () => {
    it('a POST without an id that got a 503 after it was stored, retried with its key, creates one user', async () => {
      const ada = { name: 'Ada', email: 'ada@example.com', group: 1 };
      loseNextAppendAnswer = true;
      const lost = await api.create(ada, key('create-ada'));
      const retried = await api.create(ada, key('create-ada'));
      const again = await api.create(ada, key('create-ada'));

      expect(lost.status).toBe(503);
      expect(retried.status).toBe(201);
      expect(seen(again)).toEqual({ ...seen(retried), replayed: 'true' });
      const { id } = retried.body as User;
      expect(await live()).toEqual([{ id, ...ada }]);
      expect((await api.send('GET', `/api/user/${id}/events`)).body).toHaveLength(1);
    });

    it('replays an update after the gateway restarted, and stores no second version', async () => {
      await api.create({ id: 'ada', name: 'Ada', email: 'ada@example.com', group: 1 });
      const first = await api.update({ id: 'ada', group: 2 }, key('move-ada'));
      await system.stopGateway();
      await system.startGateway();
      const after = await untilAnswered(() => api.update({ id: 'ada', group: 2 }, key('move-ada')));

      expect(first.status).toBe(200);
      expect(seen(after)).toEqual({ ...seen(first), replayed: 'true' });
      expect((await api.get('ada')).headers.get('etag')).toBe('"2"');
    });

    it('of 10 concurrent sends of one keyed create, carries out one; the others wait or replay it', async () => {
      const body = { id: 'bob', name: 'Bob', email: 'bob@example.com', group: 1 };
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => api.create(body, key('create-bob'))),
      );
      const carriedOut = answers.filter(
        (answer) => answer.status === 201 && answer.headers.get('idempotent-replayed') === null,
      );
      expect(carriedOut).toHaveLength(1);
      for (const answer of answers) {
        if (answer.status === 409) {
          expect(problemType(answer)).toBe('/problems/idempotency-key-in-flight');
          expect(answer.headers.get('retry-after')).toBe('1');
        } else {
          expect(seen(answer)).toMatchObject({
            ...seen(carriedOut[0]!),
            replayed: answer.headers.get('idempotent-replayed'),
          });
        }
      }
      expect((await api.send('GET', '/api/user/bob/events')).body).toHaveLength(1);
    });

    it('answers the key sent with another request 422, through either path spelling', async () => {
      await api.create({ id: 'cy', name: 'Cy', email: 'cy@example.com', group: 1 }, key('k'));
      const other = await api.send('PUT', '/api/users/cy/', {
        json: { group: 3 },
        headers: key('k'),
      });
      expect({ status: other.status, type: problemType(other) }).toEqual({
        status: 422,
        type: '/problems/idempotency-key-reused',
      });
      expect((await api.get('cy')).headers.get('etag')).toBe('"1"');
    });
  });

  describe('one live user per email', () => {
    it('of 20 concurrent creates of different ids with one email, in any case, exactly one gets 201', async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          api.create({
            id: `racer-${n}`,
            name: `Racer ${n}`,
            email: n % 2 === 0 ? 'Race@Example.com' : 'race@example.COM',
            group: n,
          }),
        ),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([201, ...Array<number>(19).fill(409)]);
      for (const answer of answers.filter((answer) => answer.status === 409)) {
        expect(answer.body).toMatchObject({
          type: problemTypeMatching('/problems/email-taken'),
          errors: [{ field: 'email' }],
        });
      }
      expect(await live()).toHaveLength(1);
    });

    it('of concurrent updates moving different users to one email, exactly one wins', async () => {
      const ids = Array.from({ length: 10 }, (_, n) => `mover-${n}`);
      for (const id of ids)
        await api.create({ id, name: id, email: `${id}@example.com`, group: 1 });
      const answers = await Promise.all(
        ids.map((id) => api.update({ id, email: 'wanted@example.com' })),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([
        200,
        ...Array<number>(9).fill(409),
      ]);
      const holders = (await live()).filter((user) => user.email === 'wanted@example.com');
      expect(holders).toHaveLength(1);
    });

    it('stores the email as given, lets its user keep it in another case, and frees it on delete or change', async () => {
      const created = await api.create({
        id: 'dee',
        name: 'Dee',
        email: 'Dee@Example.com',
        group: 1,
      });
      expect((created.body as User).email).toBe('Dee@Example.com');
      expect((await api.update({ id: 'dee', email: 'DEE@example.com' })).status).toBe(200);
      expect(
        (await api.create({ id: 'eve', name: 'Eve', email: 'dee@example.com', group: 1 })).status,
      ).toBe(409);

      expect((await api.update({ id: 'dee', email: 'dee2@example.com' })).status).toBe(200);
      expect(
        (await api.create({ id: 'eve', name: 'Eve', email: 'dee@example.com', group: 1 })).status,
      ).toBe(201);
      expect((await api.remove('eve')).status).toBe(204);
      expect(
        (await api.create({ id: 'fay', name: 'Fay', email: 'DEE@example.com', group: 1 })).status,
      ).toBe(201);
      expect((await api.get('fay')).body).toMatchObject({ email: 'DEE@example.com' });
    });
  });
}
