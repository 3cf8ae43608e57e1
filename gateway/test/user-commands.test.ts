import { partitionOf, type UserCommand, type UserState } from '@user-service/common/domain';
import {
  aroundStoreCalls,
  type Store,
  VersionConflictError,
  wrapStore,
} from '@user-service/common/store';
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
import { type CommandContext, execute, type KeyedWrite } from '../src/user-commands';
import { UserLog } from '../src/user-log';
import { deletedOutcome } from '../src/write-outcome';
import { WrittenPositions } from '../src/written-positions';
import { WrittenVersions } from '../src/written-versions';

const updateAda = (group: number): UserCommand => ({
  type: 'UpdateUser',
  userId: 'ada',
  patch: { group },
});

/** A gateway's command context on `store`, as gateway-app builds it. */
function contextOn(store: Store): CommandContext {
  return {
    userLog: new UserLog(store, testPersonalData(store)),
    partitionOf: (userId) => partitionOf(userId, TEST_PARTITIONS),
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

/** Runs the command as a route does, and gives the state its answer was made of. */
async function executed(
  context: CommandContext,
  command: UserCommand,
  keyed?: KeyedWrite,
): Promise<UserState | undefined> {
  let answered: UserState | undefined;
  await execute(context, command, {
    requestId: 'request-1',
    keyed,
    answer: (state) => {
      answered = state;
      return deletedOutcome;
    },
  });
  return answered;
}

/** What an Idempotency-Key gives a write, for a key no attempt held before. */
function keyedAs(eventId: string, fresh = true, legacyEventId = `legacy-${eventId}`): KeyedWrite {
  return {
    eventId,
    legacyEventId: () => legacyEventId,
    fresh,
    key: `key-of-${eventId}`,
    token: 't1',
    expiresAt: new Date(8.64e15),
  };
}

async function conflictsCounted(context: CommandContext): Promise<Record<string, number>> {
  const { values } = await context.metrics.appendConflicts.get();
  return Object.fromEntries(values.map(({ labels, value }) => [String(labels.resolution), value]));
}

describe('execute', () => {
  it('decides a write that lost a race again on the newer state, so both writes land', async () => {
    const { store, raced } = await adaRacedFor(1);
    const context = contextOn(raced);

    const state = await executed(context, updateAda(9));

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

    const state = await executed(context, updateAda(9));

    expect(state?.version).toBe(101);
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

    await expect(executed(context, updateAda(9))).rejects.toMatchObject({
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
    await expect(executed(context, { type: 'DeleteUser', userId: 'ghost' })).rejects.toMatchObject({
      name: 'CommandRejectedError',
      message: 'UserNotFound: user ghost',
      rejection: { code: 'UserNotFound', userId: 'ghost' },
    });
  });

  it('records what it wrote for read-your-writes: the version, and whether the user is gone', async () => {
    const store = new InMemoryStore();
    const context = contextOn(store);
    const ada = fieldsFor(1);

    await executed(context, { type: 'CreateUser', userId: 'ada', fields: ada });
    expect(context.written.get('ada')).toEqual({ version: 1, deleted: false });
    await executed(context, { type: 'DeleteUser', userId: 'ada' });
    expect(context.written.get('ada')).toEqual({ version: 2, deleted: true });
    await executed(context, { type: 'CreateUser', userId: 'ada', fields: ada });
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

    await executed(context, { type: 'CreateUser', userId: 'ada', fields: fieldsFor(1) });

    const written = partitionOf('ada', TEST_PARTITIONS);
    const partitions = Array.from({ length: TEST_PARTITIONS }, (_, partition) => partition);
    expect(partitions.map((partition) => context.writtenPositions.get(partition))).toEqual(
      partitions.map((partition) => (partition === written ? positions[0] : null)),
    );
    expect(positions).toHaveLength(1);
  });

  it('with an event id already stored, answers the state that event left and writes nothing', async () => {
    const store = new InMemoryStore();
    const context = contextOn(store);
    await executed(context, { type: 'CreateUser', userId: 'ada', fields: fieldsFor(1) });
    await executed(context, updateAda(5), keyedAs('event-of-key'));
    await executed(context, updateAda(6));

    const again = await executed(context, updateAda(5), keyedAs('event-of-key', false));

    expect(again).toEqual({ version: 2, user: { ...userFor('ada', 1), group: 5 } });
    expect(await store.events.readUserEvents('ada')).toHaveLength(3);
    // Read-your-writes waits for the earlier write, not for nothing.
    expect(context.written.get('ada')).toEqual({ version: 3, deleted: false });
  });

  it('finds an earlier attempt’s event under the id the release before derived, and writes nothing', async () => {
    // The first attempt ran on the release before keyed fingerprints, stored its event under the
    // id that release derived, and failed before remembering its outcome; the retry runs here.
    const store = new InMemoryStore();
    const context = contextOn(store);
    await executed(context, { type: 'CreateUser', userId: 'ada', fields: fieldsFor(1) });
    await executed(context, updateAda(5), keyedAs('derived-before'));

    const retry = await executed(
      context,
      updateAda(5),
      keyedAs('derived-now', false, 'derived-before'),
    );

    expect(retry).toEqual({ version: 2, user: { ...userFor('ada', 1), group: 5 } });
    expect(await store.events.readUserEvents('ada')).toHaveLength(2);
  });

  it('answers a keyed delete that the domain refuses with the state its own earlier attempt left, when that attempt stored it', async () => {
    // The first attempt stored its delete, but the client never heard (a 503). The retry's key
    // record was lost too, so it runs as new: the domain says UserNotFound, of its own write.
    const store = new InMemoryStore();
    const context = contextOn(store);
    await executed(context, { type: 'CreateUser', userId: 'ada', fields: fieldsFor(1) });
    await executed(context, { type: 'DeleteUser', userId: 'ada' }, keyedAs('delete-of-key'));

    const retry = await executed(
      context,
      { type: 'DeleteUser', userId: 'ada' },
      keyedAs('delete-of-key'),
    );

    expect(retry).toEqual({ version: 2, user: null });
    expect(await store.events.readUserEvents('ada')).toHaveLength(2);
  });

  it('still refuses a keyed write whose event was never stored', async () => {
    const context = contextOn(new InMemoryStore());
    await expect(
      executed(context, { type: 'DeleteUser', userId: 'ghost' }, keyedAs('never-stored')),
    ).rejects.toMatchObject({ name: 'CommandRejectedError' });
  });
});

describe('execute, counted in store calls', () => {
  /** The store, counting its calls by operation while `run` runs. */
  async function storeCalls(
    run: (context: CommandContext, store: InMemoryStore) => Promise<unknown>,
    setUp: (context: CommandContext) => Promise<unknown> = async () => undefined,
  ): Promise<string[]> {
    const store = new InMemoryStore();
    const calls: string[] = [];
    let counting = false;
    const context = contextOn(
      aroundStoreCalls(store, (operation, call) => {
        if (counting) calls.push(operation);
        return call();
      }),
    );
    await setUp(context);
    counting = true;
    await run(context, store);
    return calls;
  }
  const createAda = { type: 'CreateUser', userId: 'ada', fields: fieldsFor(1) } as const;
  const setUpAda = (context: CommandContext) => executed(context, createAda);

  it('creates a new user with one call: the append, which also stores its key and claim', async () => {
    // Set up another user first, so that the email-index key is made before counting.
    const calls = await storeCalls(
      (context) => executed(context, { ...createAda, userId: 'bob', fields: fieldsFor(2) }),
      setUpAda,
    );
    expect(calls).toEqual(['append']);
  });

  it('updates with two calls: the user read in one, then the append', async () => {
    expect(await storeCalls((context) => executed(context, updateAda(4)), setUpAda)).toEqual([
      'read_user',
      'append',
    ]);
  });

  it('changes an email, deletes and erases with two calls each', async () => {
    for (const command of [
      { type: 'UpdateUser', userId: 'ada', patch: { email: 'new@example.org' } },
      { type: 'DeleteUser', userId: 'ada' },
      { type: 'EraseUser', userId: 'ada' },
    ] as const) {
      expect(await storeCalls((context) => executed(context, command), setUpAda)).toEqual([
        'read_user',
        'append',
      ]);
    }
  });

  it('creates a user that exists with a read after the refused append, and refuses it', async () => {
    let error: unknown;
    const calls = await storeCalls(async (context) => {
      error = await executed(context, createAda).catch((thrown: unknown) => thrown);
    }, setUpAda);
    expect(calls).toEqual(['append', 'read_user']);
    expect(error).toMatchObject({ rejection: { code: 'UserAlreadyExists' } });
  });

  it('re-creates a deleted user: the refused append, the read, the append', async () => {
    const calls = await storeCalls(
      (context) => executed(context, createAda),
      async (context) => {
        await setUpAda(context);
        await executed(context, { type: 'DeleteUser', userId: 'ada' });
      },
    );
    expect(calls).toEqual(['append', 'read_user', 'append']);
  });

  it('carries a keyed write with no more calls than the plain one: the outcome goes with the append', async () => {
    expect(
      await storeCalls((context) => executed(context, updateAda(4), keyedAs('e1')), setUpAda),
    ).toEqual(['read_user', 'append']);
  });

  it('looks for an earlier attempt’s event first only when the key was held before: under the id derived now, then the one derived before', async () => {
    expect(
      await storeCalls(
        (context) => executed(context, updateAda(4), keyedAs('e1', false)),
        setUpAda,
      ),
    ).toEqual(['read_event', 'read_event', 'read_user', 'append']);
  });
});
