import { aggregatorOf, partitionOf, type UserCommand } from '@user-service/common/domain';
import { type Store, VersionConflictError, wrapStore } from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import {
  appendSealed,
  created,
  eventsFor,
  fieldsFor,
  TEST_PARTITIONS,
  testPersonalData,
  updated,
  userFor,
} from '@user-service/test-support';
import { Registry } from 'prom-client';
import { createGatewayMetrics } from '../src/gateway-metrics';
import { type CommandContext, execute } from '../src/user-commands';
import { WrittenPositions } from '../src/written-positions';
import { WrittenVersions } from '../src/written-versions';

const AGGREGATORS = 3;
const updateAda = (group: number): UserCommand => ({
  type: 'UpdateUser',
  userId: 'ada',
  patch: { group },
});

/** A gateway's command context on `store`, as gateway-app builds it. */
function contextOn(store: Store): CommandContext {
  return {
    store,
    personalData: testPersonalData(store),
    partitionOf: (userId) => partitionOf(userId, TEST_PARTITIONS),
    aggregatorCount: AGGREGATORS,
    written: new WrittenVersions(),
    writtenPositions: new WrittenPositions((a, b) => store.events.comparePositions(a, b)),
    metrics: createGatewayMetrics(new Registry()),
  };
}

/** The store, with Ada created, where the first `races` appends each lose to another writer's update. */
async function adaRacedFor(races: number) {
  const store = new InMemoryStore();
  await appendSealed(store, 'ada', 0, eventsFor('ada', 0, created(fieldsFor(1))));
  let appends = 0;
  const raced = wrapStore(store, {
    events: {
      append: async (...args) => {
        appends += 1;
        if (appends <= races) {
          // Another writer's update lands between this writer's read and its append.
          const version = (await store.events.readUserEvents('ada')).length;
          await appendSealed(
            store,
            'ada',
            version,
            eventsFor('ada', version, updated({ group: 100 + appends })),
          );
        }
        return store.events.append(...args);
      },
    },
  });
  return { store, raced, appends: () => appends };
}

async function conflictsCounted(context: CommandContext): Promise<Record<string, number>> {
  const { values } = await context.metrics.appendConflicts.get();
  return Object.fromEntries(values.map(({ labels, value }) => [String(labels.resolution), value]));
}

describe('execute', () => {
  it('decides a write that lost a race again on the newer state, so both writes land', async () => {
    const { store, raced } = await adaRacedFor(1);
    const context = contextOn(raced);

    const state = await execute(context, updateAda(9), 'request-1');

    expect(state).toEqual({ version: 3, user: { ...userFor('ada', 1), group: 9 } });
    const stored = await store.events.readUserEvents('ada');
    expect(stored.map((event) => [event.version, event.data])).toEqual([
      [1, expect.anything()],
      [2, { group: 101 }],
      [3, { group: 9 }],
    ]);
    expect(await conflictsCounted(context)).toEqual({ retried: 1 });
  });

  it('keeps trying while it loses, and lands on its 100th attempt', async () => {
    const { raced, appends } = await adaRacedFor(99);
    const context = contextOn(raced);

    const state = await execute(context, updateAda(9), 'request-1');

    expect(state.version).toBe(101);
    expect(appends()).toBe(100);
    expect(await conflictsCounted(context)).toEqual({ retried: 99 });
  });

  it('gives up after losing 100 races in a row, with TooMuchContentionError', async () => {
    let appends = 0;
    const store = new InMemoryStore();
    await appendSealed(store, 'ada', 0, eventsFor('ada', 0, created(fieldsFor(1))));
    const contended = wrapStore(store, {
      events: {
        append: async () => {
          appends += 1;
          throw new VersionConflictError('contended', 1);
        },
      },
    });
    const context = contextOn(contended);

    await expect(execute(context, updateAda(9), 'request-1')).rejects.toMatchObject({
      name: 'TooMuchContentionError',
      userId: 'ada',
      attempts: 100,
      message: 'gave up writing user ada after losing 100 races in a row',
    });
    expect(appends).toBe(100);
    expect(await conflictsCounted(context)).toEqual({ retried: 99, gave_up: 1 });
  });

  it('throws the domain’s refusal as CommandRejectedError, naming the reason and the user', async () => {
    const context = contextOn(new InMemoryStore());
    await expect(
      execute(context, { type: 'DeleteUser', userId: 'ghost' }, 'r1'),
    ).rejects.toMatchObject({
      name: 'CommandRejectedError',
      message: 'UserNotFound: user ghost',
      rejection: { code: 'UserNotFound', userId: 'ghost' },
    });
  });

  it('records what it wrote for read-your-writes: the version, and whether the user is gone', async () => {
    const store = new InMemoryStore();
    const context = contextOn(store);
    const ada = fieldsFor(1);

    await execute(context, { type: 'CreateUser', userId: 'ada', fields: ada }, 'r1');
    expect(context.written.get('ada')).toEqual({ version: 1, deleted: false });
    await execute(context, { type: 'DeleteUser', userId: 'ada' }, 'r2');
    expect(context.written.get('ada')).toEqual({ version: 2, deleted: true });
    await execute(context, { type: 'CreateUser', userId: 'ada', fields: ada }, 'r3');
    expect(context.written.get('ada')).toEqual({ version: 3, deleted: false });
  });

  it('records the write’s commit position for the aggregator that owns the user, and no other', async () => {
    const store = new InMemoryStore();
    const positions: string[] = [];
    const context = contextOn(
      wrapStore(store, {
        events: {
          append: async (...args) => {
            const result = await store.events.append(...args);
            positions.push(result.position);
            return result;
          },
        },
      }),
    );

    await execute(context, { type: 'CreateUser', userId: 'ada', fields: fieldsFor(1) }, 'r1');

    const owner = aggregatorOf(partitionOf('ada', TEST_PARTITIONS), AGGREGATORS);
    expect([0, 1, 2].map((aggregator) => context.writtenPositions.get(aggregator))).toEqual(
      [0, 1, 2].map((aggregator) => (aggregator === owner ? positions[0] : null)),
    );
    expect(positions).toHaveLength(1);
  });

  it('with an event id already stored, answers the state that event left and writes nothing', async () => {
    const store = new InMemoryStore();
    const context = contextOn(store);
    await execute(context, { type: 'CreateUser', userId: 'ada', fields: fieldsFor(1) }, 'r1');
    await execute(context, updateAda(5), 'r2', 'event-of-key');
    await execute(context, updateAda(6), 'r3');

    const again = await execute(context, updateAda(5), 'r2', 'event-of-key');

    expect(again).toEqual({ version: 2, user: { ...userFor('ada', 1), group: 5 } });
    expect(await store.events.readUserEvents('ada')).toHaveLength(3);
  });
});
