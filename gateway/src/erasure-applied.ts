import { problems } from '@user-service/common/http';
import { type QueryContext, askOwner } from './user-queries';

/**
 * An erasure is done for every gateway only once the aggregator owning the user has applied it:
 * until then a current read through another gateway is answered from that aggregator's memory,
 * which may still hold the person (crypto review M4). So the 204 waits for it. The owner is asked
 * for the user at the erasure's version; it answers once it has applied it, or 409 after a short
 * wait when it lags, and then the answer is 503 erasure-pending: the erasure is stored, and the
 * client's retry (which appends nothing more) asks again.
 *
 * An owner that answers nothing (down, its circuit open) holds nothing to answer others with: an
 * aggregator that restarts replays the log, the erasure in it, before it serves again; so does
 * one that takes the partition over, and a partition without an owner is served by no one. An
 * owner that lost its lease answers nothing as owner any more (PartitionOwnership.holds).
 *
 * The owner is asked again for up to ERASURE_WAIT_MS, each ask waiting about 50 ms there, so that
 * a lag of a moment (a busy machine, a snapshot being saved) costs a wait, not a retry.
 */
export async function untilErasureApplied(
  context: Pick<QueryContext, 'aggregators' | 'owners' | 'partitionOf'>,
  erased: { readonly userId: string; readonly version: number; readonly requestId: string },
): Promise<void> {
  const { userId, version, requestId } = erased;
  const partition = context.partitionOf(userId);
  const deadline = Date.now() + ERASURE_WAIT_MS;
  for (;;) {
    // As after a delete: an owner that holds no such user shows no one, even when it cannot
    // tell the version (an erased user is a tombstone in a restored snapshot); one that still
    // holds the user live is asked to reach the erasure's version.
    // Looked up at each ask: the partition may move while the erasure waits.
    const answer = await askOwner(context, context.owners.ownerOf(partition), {
      userId,
      ownWrite: { version, deleted: true },
      requestId,
    });
    if (answer.kind !== 'unanswered' || answer.reason !== 'behind') return;
    if (Date.now() >= deadline) throw problems.erasurePending();
  }
}

/** How long an erasure waits for its aggregator before it answers 503 erasure-pending. */
const ERASURE_WAIT_MS = 1000;
