import type { ChangeSource, ChangeTail } from './change-source';
import { HistoryLostError, SubscriberError } from './errors';
import type { Checkpoint, Subscription, SubscriptionHandler, SubscriptionRequest } from './ports';
import { VersionGate } from './version-gate';

export interface RetryPolicy {
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

const defaultRetry: RetryPolicy = { firstDelayMs: 50, maxDelayMs: 2000 };

/**
 * The subscription algorithm shared by every adapter:
 * - without a usable checkpoint (first start, or history lost), fix the live start point first,
 *   then deliver every stored event of the partitions, then tail from the point fixed first:
 *   nothing committed meanwhile is missed, and the overlap is dropped by the version gate;
 * - with one, tail from it;
 * - when the store fails, retry from the last checkpoint reached, with backoff, forever.
 */
export function startCatchUpSubscription(
  source: ChangeSource,
  request: SubscriptionRequest,
  handler: SubscriptionHandler,
  retry: RetryPolicy = defaultRetry,
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

  async function catchUpFromStore(): Promise<Checkpoint> {
    const { livePosition, events } = await source.catchUp(partitions);
    for await (const event of events) {
      if (stopped) break;
      await gate.offer(event, null);
    }
    return livePosition;
  }

  let failures = 0;

  async function followTail(from: Checkpoint): Promise<void> {
    tail = source.openTail(partitions, from);
    let caughtUpReported = false;
    while (!stopped) {
      const change = await tail.next();
      failures = 0;
      if (change) {
        await gate.offer(change.event, change.checkpoint);
        checkpoint = change.checkpoint;
        caughtUpReported = false;
      } else if (!caughtUpReported) {
        await callHandler(() => handler.onCaughtUp?.(checkpoint ?? from));
        caughtUpReported = true;
      }
    }
  }

  async function run(): Promise<void> {
    while (!stopped) {
      try {
        checkpoint ??= await catchUpFromStore();
        if (stopped) return;
        await followTail(checkpoint);
      } catch (error) {
        if (stopped) return;
        if (error instanceof SubscriberError) throw error;
        if (error instanceof HistoryLostError) {
          checkpoint = null;
          handler.onHistoryLost?.();
          continue;
        }
        failures += 1;
        handler.onStoreError?.(error, failures);
        await pause(Math.min(retry.firstDelayMs * 2 ** (failures - 1), retry.maxDelayMs));
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
    throw new SubscriberError(error);
  }
}
