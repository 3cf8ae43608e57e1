import { aggregatorOf } from '@user-service/common/domain';
import { problems } from '@user-service/common/http';
import type { QueryContext } from './user-queries';

/**
 * An erasure is done for every gateway only once the aggregator owning the user has applied it:
 * until then a current read through another gateway is answered from that aggregator's memory,
 * which may still hold the person (crypto review M4). So the 204 waits for it. The owner is asked
 * for the user at the erasure's version; it answers once it has applied it, or 409 after a short
 * wait when it lags, and then the answer is 503 erasure-pending: the erasure is stored, and the
 * client's retry (which appends nothing more) asks again.
 *
 * An owner that answers nothing (down, its circuit open) holds nothing to answer others with: an
 * aggregator that restarts replays the log, the erasure in it, before it serves again.
 */
export async function untilErasureApplied(
  context: Pick<QueryContext, 'aggregators' | 'aggregatorCount' | 'partitionOf'>,
  erased: { readonly userId: string; readonly version: number; readonly requestId: string },
): Promise<void> {
  const { userId, version, requestId } = erased;
  const owner = aggregatorOf(context.partitionOf(userId), context.aggregatorCount);
  const answer = await context.aggregators.read(owner, {
    userId,
    ownWrite: { version, deleted: false },
    requestId,
  });
  if (answer.kind === 'unanswered' && answer.reason === 'behind') throw problems.erasurePending();
}
