import {
  appendSealed,
  created,
  deleted,
  eventsFor,
  fieldsFor,
  TEST_PARTITIONS,
  updated,
} from '@user-service/test-support';
import { partitionOf, type UserEvent } from '@user-service/common/domain';
import { InMemoryStore } from '@user-service/common/store/memory';
import type { AggregatorNode } from '../src/aggregator-node';
import { fetchInternal, startTestAggregator } from './test-aggregator';
import { until } from './node-probes';

/** The `partitions` parameter naming every partition, all of which the one test aggregator holds. */
const EVERY_PARTITION = `partitions=${Array.from({ length: TEST_PARTITIONS }, (_, p) => p).join(',')}`;

describe('aggregator internal lists and counts', () => {
  let store: InMemoryStore;
  let node: AggregatorNode;

  beforeEach(async () => {
    store = new InMemoryStore();
    node = await startTestAggregator(store);
    await until(() => node.aggregator.isReady, 'the aggregator to be ready');
  });

  afterEach(() => node.crash());

  /** Appends the events and answers the position the gateway would remember for them. */
  async function write(events: UserEvent[]): Promise<string> {
    let position = '';
    for (const event of events)
      ({ position } = await appendSealed(store, event.userId, event.version - 1, [event]));
    return position;
  }

  const get = async (path: string) => {
    const answer = await fetchInternal(`${node.url}${path}`);
    return { status: answer.status, body: (await answer.json()) as unknown };
  };

  /** User `uN`'s fields: in group N % 2, with an email of its own. */
  const fieldsOf = (id: string) => ({
    ...fieldsFor(Number(id[1]) % 2),
    email: `${id}@example.com`,
  });

  /**
   * Five users: u0..u4 in groups 0, 1, 0, 1, 0; u3 deleted, u1 moved to group 7. Answers the
   * `partitions` and `positions` parameters a gateway sends after these writes: every partition
   * (this one aggregator holds them all), and u1's with its last write's position.
   */
  async function population(): Promise<string> {
    for (const id of ['u3', 'u0', 'u4', 'u1', 'u2'])
      await write(eventsFor(id, 0, created(fieldsOf(id))));
    await write(eventsFor('u3', 1, deleted()));
    const position = await write(eventsFor('u1', 1, updated({ group: 7 })));
    return `${EVERY_PARTITION}&positions=${partitionOf('u1', TEST_PARTITIONS)}:${position}`;
  }

  const ids = (body: unknown) => (body as { users: { id: string }[] }).users.map((user) => user.id);

  it('answers a page of live users in id order once it has applied the position asked for', async () => {
    const asked = await population();
    const page = await get(`/internal/users?limit=10&${asked}`);
    expect(page.status).toBe(200);
    expect(ids(page.body)).toEqual(['u0', 'u1', 'u2', 'u4']);
    expect((page.body as { users: unknown[] }).users[1]).toEqual({
      id: 'u1',
      ...fieldsOf('u1'),
      group: 7,
    });
  });

  it('answers a page of 100 when no limit is given', async () => {
    for (let n = 0; n < 101; n++) await write(eventsFor(`u${1000 + n}`, 0, created(fieldsFor(n))));
    await until(() => node.aggregator.liveUsers().length === 101, 'every user applied');
    expect(ids((await get(`/internal/users?${EVERY_PARTITION}`)).body)).toHaveLength(100);
  });

  it('pages after an id, within a group, up to a limit', async () => {
    const asked = await population();
    const after = await get(`/internal/users?after=u0&limit=2&${asked}`);
    expect(ids(after.body)).toEqual(['u1', 'u2']);
    const group = await get(`/internal/users?group=0&limit=10&${asked}`);
    expect(ids(group.body)).toEqual(['u0', 'u2', 'u4']);
    const moved = await get(`/internal/users?group=1&limit=10&${asked}`);
    expect(ids(moved.body)).toEqual([]);
  });

  it('counts live users per group, or in one group', async () => {
    const asked = await population();
    expect((await get(`/internal/user-counts?${asked}`)).body).toEqual({
      byGroup: { '0': 3, '7': 1 },
    });
    expect((await get(`/internal/user-counts?group=7&${asked}`)).body).toEqual({
      byGroup: { '7': 1 },
    });
    expect((await get(`/internal/user-counts?group=1&${asked}`)).body).toEqual({
      byGroup: {},
    });
  });

  it('answers 409 when the position asked for is not applied within the wait', async () => {
    const asked = await population();
    const ahead = asked.replace(/:(\d+)$/, (_, position: string) => `:${Number(position) + 1}`);
    const answer = await get(`/internal/users?limit=1&${ahead}`);
    expect(answer).toEqual({
      status: 409,
      body: expect.objectContaining({ type: '/problems/version-not-applied' }),
    });
  });

  it('answers 503 not-ready while not caught up, so the gateway reads the snapshot', async () => {
    await node.crash();
    const failing = new InMemoryStore();
    failing.snapshots.load = () => Promise.reject(new Error('store down'));
    node = await startTestAggregator(failing);
    const answer = await get(`/internal/users?limit=1&${EVERY_PARTITION}`);
    expect(answer).toEqual({
      status: 503,
      body: expect.objectContaining({ type: '/problems/not-ready' }),
    });
  });

  it('answers 421 for a partition it does not hold, so the gateway learns the owners again', async () => {
    const answer = await get('/internal/users?limit=1&partitions=12');
    expect(answer).toEqual({
      status: 421,
      body: expect.objectContaining({ type: '/problems/not-owner' }),
    });
  });

  it.each([
    ['/internal/users?limit=0&partitions=0', ['limit']],
    ['/internal/users?limit=1', ['partitions']],
    ['/internal/users?limit=1&partitions=0&positions=0:abc', ['positions']],
    ['/internal/users?limit=1&partitions=0&positions=0', ['positions']],
    ['/internal/users?limit=1&partitions=0,x', ['partitions']],
    ['/internal/users?limit=1&partitions=0&group=x&after=a.b', ['after', 'group']],
    ['/internal/user-counts?limit=1&partitions=0', ['limit']],
  ])('answers %s 400 naming %j', async (path, fields) => {
    const answer = await get(path);
    expect(answer.status).toBe(400);
    const { errors } = answer.body as { errors: { field: string }[] };
    expect(errors.map((error) => error.field).sort()).toEqual(fields);
  });
});
