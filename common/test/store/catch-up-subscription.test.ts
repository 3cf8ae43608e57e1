import { type Checkpoint, SubscriptionEndedError } from '@user-service/common/store';
import { UnreadableEventError, type UserEvent } from '@user-service/common/domain';
import { waitUntil } from '@user-service/common/lifecycle';
import type { CatchUp, ChangeSource, ChangeTail, TailStep } from '../../src/store/change-source';
import {
  startCatchUpSubscription,
  type SubscriptionTiming,
} from '../../src/store/catch-up-subscription';
import { created, eventsFor, fieldsFor, updated } from '@user-service/test-support';
import { Recorder } from '@user-service/test-support';

/** A position is a number here: how many changes of the store come before it. */
const at = (position: number): Checkpoint => ({ position });
const positionOf = (checkpoint: Checkpoint) => checkpoint.position as number;

/**
 * A change source whose tail answers from a script, step by step, as a MongoDB change stream
 * would: with changes, or with "nothing now" and how far it has scanned, which may be short of
 * the store's head (a write committed after the getMore's read, or a new primary behind).
 */
class ScriptedSource implements ChangeSource {
  head = 0;
  /** How often the head was read: once per target fixed. */
  headReads = 0;
  /** Tails opened and not closed yet, and the most there ever were at once. */
  openTails = 0;
  mostOpenTails = 0;
  /** When each tail was opened, by the (fake) clock. */
  readonly openedAt: number[] = [];
  private closed = false;
  private readonly steps: (TailStep | Error)[] = [];
  private waiting: (() => void) | null = null;
  readonly stored = new Map<string, UserEvent[]>();

  script(...steps: (TailStep | Error)[]): void {
    this.steps.push(...steps);
    this.waiting?.();
  }

  async catchUp(): Promise<CatchUp> {
    return {
      livePosition: at(0),
      read: async function* () {},
      close: async () => undefined,
    };
  }

  async readUserEvents(userId: string, afterVersion: number): Promise<UserEvent[]> {
    return (this.stored.get(userId) ?? []).filter((event) => event.version > afterVersion);
  }

  async headPosition(): Promise<Checkpoint> {
    this.headReads += 1;
    return at(this.head);
  }

  reached(position: Checkpoint, target: Checkpoint): boolean {
    return positionOf(position) >= positionOf(target);
  }

  /** Where each tail was opened from. */
  readonly opened: Checkpoint[] = [];

  openTail(partitions: readonly number[], from: Checkpoint): ChangeTail {
    expect(partitions).toEqual([0]);
    this.opened.push(from);
    this.openedAt.push(Date.now());
    this.openTails += 1;
    this.mostOpenTails = Math.max(this.mostOpenTails, this.openTails);
    this.closed = false;
    let open = true;
    return {
      next: async () => {
        for (;;) {
          if (this.closed) return idle(null);
          const step = this.steps.shift();
          if (step instanceof Error) throw step;
          if (step) return step;
          // The script ran out: wait for more, as a tail waits for changes.
          await new Promise<void>((resolve) => (this.waiting = resolve));
        }
      },
      close: async () => {
        if (open) this.openTails -= 1;
        open = false;
        this.closed = true;
        this.waiting?.();
      },
    };
  }
}

const timing: SubscriptionTiming = {
  firstRetryMs: 1,
  maxRetryMs: 1,
  targetEveryMs: 0,
  now: () => 1_000,
};

function subscribe(
  source: ScriptedSource,
  handler = new Recorder(),
  knownVersions = new Map<string, number>(),
  timingUsed = timing,
) {
  const subscription = startCatchUpSubscription(
    source,
    { partitions: [0], checkpoint: at(0), knownVersions },
    handler,
    timingUsed,
  );
  return { subscription, handler };
}

async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
}

const [first, second] = eventsFor('ada', 0, created(fieldsFor(1)), updated({ group: 2 }));
const change = (event: UserEvent, position: number): TailStep => ({
  kind: 'change',
  event,
  checkpoint: at(position),
});
const idle = (position: number | null): TailStep => ({
  kind: 'idle',
  position: position === null ? null : at(position),
});

describe('catch-up subscription', () => {
  it('does not report caught up on a quiet answer that stops short of the head, only once the tail reaches it', async () => {
    const source = new ScriptedSource();
    source.head = 300;
    const { subscription, handler } = subscribe(source);
    const caughtUp = jest.spyOn(handler, 'onCaughtUp');

    source.script(change(first!, 100), idle(150), idle(200));
    await settle();
    expect(handler.events).toHaveLength(1);
    expect(caughtUp).not.toHaveBeenCalled();

    source.script(change(second!, 250), idle(300));
    await settle();
    expect(caughtUp).toHaveBeenCalledTimes(1);
    expect(caughtUp).toHaveBeenCalledWith(at(300), new Date(1_000));
    expect(handler.events.map((event) => event.version)).toEqual([1, 2]);
    await subscription.stop();
  });

  it('moves a quiet subscriber’s checkpoint forward with the tail’s position', async () => {
    const source = new ScriptedSource();
    const { subscription, handler } = subscribe(source);
    source.head = 10;
    source.script(idle(10));
    await settle();
    source.head = 20;
    source.script(idle(20));
    await settle();
    expect(handler.lastCheckpoint).toEqual(at(20));
    await subscription.stop();
  });

  it('keeps reporting caught up while changes keep coming, without waiting for a quiet moment', async () => {
    const source = new ScriptedSource();
    source.head = 1;
    const { subscription, handler } = subscribe(source);
    const caughtUp = jest.spyOn(handler, 'onCaughtUp');
    source.script(change(first!, 1));
    await settle();
    source.head = 2;
    source.script(change(second!, 2));
    await settle();
    expect(caughtUp.mock.calls.map(([checkpoint]) => checkpoint)).toEqual([at(1), at(2)]);
    await subscription.stop();
  });

  it.each<[string, Error, string]>([
    [
      'the tail says the stream was invalidated',
      new SubscriptionEndedError('stream-invalidated', 'dropped'),
      'stream-invalidated',
    ],
    [
      'an event lacks its envelope',
      new UnreadableEventError('e1', 'ada', 'no valid version'),
      'malformed-event',
    ],
  ])('ends, without retrying, when %s, saying why', async (_, error, reason) => {
    const source = new ScriptedSource();
    const { subscription } = subscribe(source);
    source.script(error, idle(0));
    await expect(subscription.finished).rejects.toMatchObject({
      name: 'SubscriptionEndedError',
      reason,
      ...(error instanceof UnreadableEventError ? { message: error.message, cause: error } : {}),
    });
    expect(source.opened).toHaveLength(1);
  });

  it('ends with event-gap when the store cannot fill a hole in a user’s versions', async () => {
    const source = new ScriptedSource();
    const { subscription } = subscribe(source);
    const [, , third] = eventsFor(
      'ada',
      0,
      created(fieldsFor(1)),
      updated({ group: 2 }),
      updated({ group: 3 }),
    );
    source.stored.set('ada', [first!]); // version 2 is missing
    source.script(change(third!, 3));
    await expect(subscription.finished).rejects.toMatchObject({ reason: 'event-gap' });
  });

  it('ends with handler-failed when the subscriber throws, keeping its error as the cause', async () => {
    const source = new ScriptedSource();
    const handler = new Recorder();
    handler.onEvent = () => {
      throw new Error('bug');
    };
    const { subscription } = subscribe(source, handler);
    source.script(change(first!, 1));
    await expect(subscription.finished).rejects.toMatchObject({
      reason: 'handler-failed',
      message: 'a subscription handler failed',
      cause: new Error('bug'),
    });
  });

  it('retries a store failure from where it got to, and reports it', async () => {
    const source = new ScriptedSource();
    const failures: number[] = [];
    const handler = Object.assign(new Recorder(), {
      onStoreError: (_error: unknown, attempt: number) => failures.push(attempt),
    });
    const { subscription } = subscribe(source, handler);
    source.script(change(first!, 1), new Error('connection reset'), change(second!, 2));
    await waitUntil(() => handler.events.length === 2, {
      describe: 'both events to be delivered',
      timeoutMs: 10_000,
      intervalMs: 10,
    });
    expect(failures).toEqual([1]);
    expect(source.opened).toEqual([at(0), at(1)]);
    expect(handler.events.map((event) => event.version)).toEqual([1, 2]);
    await subscription.stop();
  });

  describe('after store failures', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    const backoff: SubscriptionTiming = {
      firstRetryMs: 10,
      maxRetryMs: 35,
      targetEveryMs: 0,
      now: () => Date.now(),
    };
    const failure = () => new Error('connection reset');

    it('waits twice as long after each failure in a row, up to the maximum, and from the start again once the store answers', async () => {
      const source = new ScriptedSource();
      const { subscription } = subscribe(source, new Recorder(), new Map(), backoff);
      const start = Date.now();
      source.script(failure(), failure(), failure(), failure(), idle(0), failure(), failure());

      await jest.advanceTimersByTimeAsync(1_000);

      const waits = source.openedAt.slice(1).map((time, index) => time - source.openedAt[index]!);
      expect(source.openedAt[0]).toBe(start);
      expect(waits).toEqual([10, 20, 35, 35, 10, 20]);
      await subscription.stop();
    });

    it('closes each failed tail before it opens the next, and the last one when stopped', async () => {
      const source = new ScriptedSource();
      const { subscription } = subscribe(source, new Recorder(), new Map(), backoff);
      source.script(failure(), failure(), failure());
      await jest.advanceTimersByTimeAsync(1_000);

      expect(source.opened).toHaveLength(4);
      expect(source.mostOpenTails).toBe(1);
      await subscription.stop();
      expect(source.openTails).toBe(0);
    });

    it('stop() ends a pause at once rather than when it runs out', async () => {
      const source = new ScriptedSource();
      const { subscription } = subscribe(source, new Recorder(), new Map(), {
        ...backoff,
        firstRetryMs: 60_000,
      });
      source.script(failure());
      await jest.advanceTimersByTimeAsync(0);
      expect(source.opened).toHaveLength(1);

      let stopped = false;
      void subscription.stop().then(() => (stopped = true));
      await jest.advanceTimersByTimeAsync(0);

      expect(stopped).toBe(true);
      await expect(subscription.finished).resolves.toBeUndefined();
      expect(source.opened).toHaveLength(1);
    });
  });

  describe('once stopped', () => {
    /** A source whose catch-up yields `events` one by one, and whose tail fails once closed. */
    class CatchingUpSource extends ScriptedSource {
      constructor(private readonly events: UserEvent[]) {
        super();
      }

      override async catchUp(): Promise<CatchUp> {
        const events = this.events;
        return {
          livePosition: at(0),
          read: async function* () {
            yield* events;
          },
          close: async () => undefined,
        };
      }
    }

    it('delivers nothing more of a catch-up and opens no tail', async () => {
      const source = new CatchingUpSource(
        eventsFor('ada', 0, created(fieldsFor(1)), updated({ group: 2 }), updated({ group: 3 })),
      );
      const handler = new Recorder();
      let stopNow: () => unknown = () => undefined;
      handler.onEvent = (event) => {
        handler.events.push(event);
        stopNow();
      };
      const subscription = startCatchUpSubscription(
        source,
        { partitions: [0], checkpoint: null, knownVersions: new Map() },
        handler,
        timing,
      );
      // Stopped by its subscriber while the first event is handled.
      stopNow = () => subscription.stop();

      await subscription.finished;

      expect(handler.events.map((event) => event.version)).toEqual([1]);
      expect(source.opened).toEqual([]);
    });

    it('does not take the tail’s failure on closing for a store failure', async () => {
      const source = new ScriptedSource();
      const errors: number[] = [];
      const handler = Object.assign(new Recorder(), {
        onStoreError: (_error: unknown, attempt: number) => errors.push(attempt),
      });
      const original = source.openTail.bind(source);
      source.openTail = (partitions, from) => {
        const tail = original(partitions, from);
        let closed = false;
        return {
          next: async () => {
            const step = await tail.next();
            if (closed) throw new Error('change stream closed');
            return step;
          },
          close: async () => {
            closed = true;
            await tail.close();
          },
        };
      };
      const { subscription } = subscribe(source, handler);
      await settle();

      await subscription.stop();

      expect(errors).toEqual([]);
      await expect(subscription.finished).resolves.toBeUndefined();
    });
  });

  it('while changes keep coming, fixes a new target only every targetEveryMs', async () => {
    let now = 1_000;
    const source = new ScriptedSource();
    const handler = new Recorder();
    const caughtUp = jest.spyOn(handler, 'onCaughtUp');
    const { subscription } = subscribe(source, handler, new Map(), {
      ...timing,
      targetEveryMs: 100,
      now: () => now,
    });
    const [v1, v2, v3] = eventsFor(
      'ada',
      0,
      created(fieldsFor(1)),
      updated({ group: 2 }),
      updated({ group: 3 }),
    );
    source.head = 1;
    await settle();
    expect(source.headReads).toBe(1);

    source.script(change(v1!, 1));
    await settle();
    source.head = 3;
    now = 1_050;
    source.script(change(v2!, 2));
    await settle();
    expect(source.headReads).toBe(1);

    now = 1_100;
    source.script(change(v3!, 3));
    await settle();
    expect(source.headReads).toBe(2);
    expect(caughtUp.mock.calls).toEqual([
      [at(1), new Date(1_000)],
      [at(3), new Date(1_100)],
    ]);
    await subscription.stop();
  });

  describe('catching up from the store', () => {
    /**
     * A source whose catch-up reads `stored` in order and fails, the first reads, after a given
     * number of events each, as a read of a large store cut by a stepdown would.
     */
    class FailingCatchUpSource extends ScriptedSource {
      catchUps = 0;
      closes = 0;
      /** The eventId each read was asked to start after (null: from the first). */
      readonly readsAfter: (string | null)[] = [];
      /** Every event the reads gave, in order, repeats included. */
      readonly given: UserEvent[] = [];

      constructor(
        private readonly catchUpEvents: UserEvent[],
        private readonly failAfter: number[],
      ) {
        super();
      }

      override async catchUp(): Promise<CatchUp> {
        this.catchUps += 1;
        return {
          livePosition: at(0),
          read: (after) => this.read(after),
          close: async () => {
            this.closes += 1;
          },
        };
      }

      private async *read(after: UserEvent | null): AsyncIterable<UserEvent> {
        this.readsAfter.push(after?.eventId ?? null);
        const start = after ? this.catchUpEvents.indexOf(after) + 1 : 0;
        const failAfter = this.failAfter.shift();
        for (const [n, event] of this.catchUpEvents.slice(start).entries()) {
          if (n === failAfter) throw new Error('connection reset');
          this.given.push(event);
          yield event;
        }
      }
    }

    const stored = [
      ...eventsFor('ada', 0, created(fieldsFor(1)), updated({ group: 2 }), updated({ group: 3 })),
      ...eventsFor('bob', 0, created(fieldsFor(2)), updated({ group: 4 })),
    ];

    function catchUpSubscription(source: FailingCatchUpSource, handler: Recorder) {
      return startCatchUpSubscription(
        source,
        { partitions: [0], checkpoint: null, knownVersions: new Map() },
        handler,
        timing,
      );
    }

    it('goes on after the last event delivered when the store fails mid-way, delivering each event once and skipping none', async () => {
      const source = new FailingCatchUpSource(stored, [2, 1]);
      const failures: number[] = [];
      const handler = Object.assign(new Recorder(), {
        onStoreError: (_error: unknown, attempt: number) => failures.push(attempt),
      });
      const subscription = catchUpSubscription(source, handler);
      await waitUntil(() => handler.events.length === stored.length, {
        describe: 'every stored event to be delivered',
        timeoutMs: 10_000,
        intervalMs: 10,
      });

      expect(failures).toEqual([1, 2]);
      expect(source.readsAfter).toEqual([null, stored[1]!.eventId, stored[2]!.eventId]);
      expect(source.given.map((event) => event.eventId)).toEqual(
        stored.map((event) => event.eventId),
      );
      expect(handler.events.map((event) => event.eventId)).toEqual(
        stored.map((event) => event.eventId),
      );
      // One live point, fixed before the first read, for every read and the tail after them.
      expect(source.catchUps).toBe(1);
      expect(source.opened).toEqual([at(0)]);
      expect(source.closes).toBe(1);
      await subscription.stop();
    });

    it('still reports caught up only once the tail has reached the target', async () => {
      const source = new FailingCatchUpSource(stored, [3]);
      source.head = 2;
      const handler = new Recorder();
      const caughtUp = jest.spyOn(handler, 'onCaughtUp');
      const subscription = catchUpSubscription(source, handler);
      await waitUntil(() => handler.events.length === stored.length, {
        describe: 'every stored event to be delivered',
        timeoutMs: 10_000,
        intervalMs: 10,
      });

      source.script(idle(1));
      await settle();
      expect(caughtUp).not.toHaveBeenCalled();
      source.script(idle(2));
      await settle();
      expect(caughtUp).toHaveBeenCalledTimes(1);
      expect(caughtUp).toHaveBeenCalledWith(at(2), new Date(1_000));
      await subscription.stop();
    });

    it('releases a catch-up abandoned by stop() while it waits to retry', async () => {
      const source = new FailingCatchUpSource(stored, [1]);
      const handler = new Recorder();
      const subscription = startCatchUpSubscription(
        source,
        { partitions: [0], checkpoint: null, knownVersions: new Map() },
        handler,
        { ...timing, firstRetryMs: 60_000, maxRetryMs: 60_000 },
      );
      await waitUntil(() => source.readsAfter.length === 1 && handler.events.length === 1, {
        describe: 'the first read to fail',
        timeoutMs: 10_000,
        intervalMs: 10,
      });

      await subscription.stop();

      expect(source.closes).toBe(1);
      expect(source.readsAfter).toHaveLength(1);
    });
  });
});
