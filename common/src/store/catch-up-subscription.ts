import { UnreadableEventError, type UserEvent } from '../domain';
import type { CatchUp, ChangeSource, ChangeTail } from './change-source';
import { HistoryLostError, SubscriptionEndedError } from './errors';
import type {
  Checkpoint,
  Subscription,
  SubscriptionHandler,
  SubscriptionRequest,
} from './event-store';
import { VersionGate } from './version-gate';

export interface SubscriptionTiming {
  /** First pause after a store failure; it doubles on each failure in a row. */
  readonly firstRetryMs: number;
  readonly maxRetryMs: number;
  /**
   * While changes keep coming, how often to fix a new target to confirm being caught up against.
   * When the tail falls idle a new target is fixed at once.
   */
  readonly targetEveryMs: number;
  readonly now: () => number;
}

const defaultTiming: SubscriptionTiming = {
  firstRetryMs: 50,
  maxRetryMs: 2000,
  targetEveryMs: 250,
  now: Date.now,
};

interface Target {
  readonly position: Checkpoint;
  /** Wall-clock time just before `position` was read: everything committed earlier is before it. */
  readonly fixedAt: number;
}

/**
 * The subscription algorithm shared by every adapter:
 * - without a usable checkpoint (first start, or history lost), fix the live start point first,
 *   then deliver every stored event of the partitions, then tail from the point fixed first:
 *   nothing committed meanwhile is missed, and the overlap is dropped by the version gate; a
 *   store failure while delivering them resumes after the last one delivered;
 * - with one, tail from it;
 * - caught up is never assumed from a quiet tail: a target (the store's head) is fixed, and only
 *   once the tail's position has reached it is the subscriber told, with the time the target
 *   was fixed, so that it knows how current it is;
 * - when the store fails, retry from the last position reached, with backoff, forever;
 * - when it cannot go on (SubscriptionEndedError: its handler threw, a gap, an invalidated
 *   stream, a malformed event), end, and say why through `finished`.
 */
export function startCatchUpSubscription(
  source: ChangeSource,
  request: SubscriptionRequest,
  handler: SubscriptionHandler,
  timing: SubscriptionTiming = defaultTiming,
): Subscription {
  const gate = new VersionGate(
    request.knownVersions,
    (userId, afterVersion) => source.readUserEvents(userId, afterVersion),
    (event, checkpoint) => callHandler(() => handler.onEvent(event, checkpoint)),
  );
  const partitions = [...request.partitions];
  let checkpoint = request.checkpoint;
  let stopped = false;
  let tail: ChangeTail | null = null;
  let wakeUp: () => void = () => undefined;
  let failures = 0;

  /**
   * A catch-up under way, and the last event it delivered: kept across store failures, so that
   * a retry reads on from there, against the same live point, rather than from the beginning
   * (on a large store a catch-up that restarts at every transient failure may never finish).
   */
  let catchingUp: { readonly catchUp: CatchUp; last: UserEvent | null } | null = null;

  async function catchUpFromStore(): Promise<Checkpoint> {
    catchingUp ??= { catchUp: await source.catchUp(partitions), last: null };
    const current = catchingUp;
    for await (const event of current.catchUp.read(current.last)) {
      if (stopped) break;
      await gate.offer(event, null);
      current.last = event;
    }
    await endCatchUp();
    return current.catchUp.livePosition;
  }

  async function endCatchUp(): Promise<void> {
    const ending = catchingUp;
    catchingUp = null;
    await ending?.catchUp.close().catch(() => undefined);
  }

  async function followTail(from: Checkpoint): Promise<void> {
    let lastFixedAt = Number.NEGATIVE_INFINITY;
    const fixTarget = async (): Promise<Target> => {
      lastFixedAt = timing.now();
      return { position: await source.headPosition(), fixedAt: lastFixedAt };
    };
    let target: Target | null = await fixTarget();
    let position = from;
    tail = source.openTail(partitions, from);
    while (!stopped) {
      const step = await tail.next();
      failures = 0;
      if (step.kind === 'change') {
        await gate.offer(step.event, step.checkpoint);
        position = step.checkpoint;
        if (!target && timing.now() - lastFixedAt >= timing.targetEveryMs)
          target = await fixTarget();
      } else {
        if (step.position) position = step.position;
        target ??= await fixTarget();
      }
      checkpoint = position;
      if (target && source.reached(position, target.position)) {
        const { fixedAt } = target;
        await callHandler(() => handler.onCaughtUp?.(position, new Date(fixedAt)));
        target = null;
      }
    }
  }

  async function run(): Promise<void> {
    try {
      await runUntilStopped();
    } finally {
      await endCatchUp();
    }
  }

  async function runUntilStopped(): Promise<void> {
    while (!stopped) {
      try {
        checkpoint ??= await catchUpFromStore();
        if (stopped) return;
        await followTail(checkpoint);
      } catch (error) {
        if (stopped) return;
        if (error instanceof SubscriptionEndedError) throw error;
        if (error instanceof UnreadableEventError) {
          // An event without the envelope ordering relies on: it can neither be applied nor skipped.
          throw new SubscriptionEndedError('malformed-event', error.message, { cause: error });
        }
        if (error instanceof HistoryLostError) {
          checkpoint = null;
          handler.onHistoryLost?.();
          continue;
        }
        failures += 1;
        handler.onStoreError?.(error, failures);
        await pause(Math.min(timing.firstRetryMs * 2 ** (failures - 1), timing.maxRetryMs));
      } finally {
        await closeTail();
      }
    }
  }

  async function closeTail(): Promise<void> {
    const closing = tail;
    tail = null;
    await closing?.close().catch(() => undefined);
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  const finished = run();
  finished.catch(() => undefined); // observed through `finished`; not an unhandled rejection here

  return {
    finished,
    async stop() {
      stopped = true;
      wakeUp();
      await closeTail();
      await finished.catch(() => undefined);
    },
  };
}

async function callHandler(call: () => Promise<void> | void): Promise<void> {
  try {
    await call();
  } catch (error) {
    throw new SubscriptionEndedError('handler-failed', 'a subscription handler failed', {
      cause: error,
    });
  }
}
