import type { ChangeStream, ChangeStreamDocument } from 'mongodb';
import { UnreadableEventError } from '../../domain';
import type { ChangeTail, TailStep } from '../change-source';
import { HistoryLostError, StoreUnavailableError, SubscriptionEndedError } from '../errors';
import { hasCode, MONGO_ERROR } from './error-codes';
import { toEvent } from './event-documents';
import type { MongoCheckpoint } from './mongo-checkpoint';
import type { ResumeTokenReader } from './resume-token';
import type { EventDocument } from './schema';

/** The parts of a driver ChangeStream a tail uses. */
export type TailStream = Pick<
  ChangeStream<EventDocument, ChangeStreamDocument<EventDocument>>,
  'tryNext' | 'resumeToken' | 'closed' | 'close'
>;

/**
 * One change stream, read one change at a time. After an empty batch the stream's resume token
 * is the server's post-batch token, whose time says how far the oplog has been scanned, matching
 * or not: that is the tail's position, which tells the subscription whether it has caught up and
 * lets a quiet tail's checkpoint move forward.
 */
export class MongoTail implements ChangeTail {
  private closedByUs = false;

  constructor(
    private readonly stream: TailStream,
    private readonly tokens: ResumeTokenReader,
  ) {}

  async next(): Promise<TailStep> {
    let change: ChangeStreamDocument<EventDocument> | null;
    try {
      change = await this.stream.tryNext();
    } catch (error) {
      throw tailError(error);
    }
    if (!change) {
      if (this.stream.closed && !this.closedByUs)
        throw invalidated('the server closed the change stream');
      return { kind: 'idle', position: this.position() };
    }
    if (change.operationType !== 'insert')
      throw invalidated(`the change stream saw a ${change.operationType}`);
    if (!change.clusterTime)
      throw new StoreUnavailableError('MongoDB sent a change without cluster time');
    try {
      const checkpoint: MongoCheckpoint = {
        clusterTime: change.clusterTime,
        resumeToken: change._id,
      };
      return { kind: 'change', event: toEvent(change.fullDocument), checkpoint };
    } catch (error) {
      if (!(error instanceof UnreadableEventError)) throw error;
      throw new SubscriptionEndedError('malformed-event', error.message, { cause: error });
    }
  }

  async close(): Promise<void> {
    this.closedByUs = true;
    await this.stream.close();
  }

  private position(): MongoCheckpoint | null {
    const token = this.stream.resumeToken;
    const time = token ? this.tokens.timeOf(token) : null;
    return time ? { clusterTime: time, resumeToken: token } : null;
  }
}

function tailError(error: unknown): Error {
  if (
    hasCode(error, MONGO_ERROR.ChangeStreamHistoryLost) ||
    hasCode(error, MONGO_ERROR.ChangeStreamFatalError)
  ) {
    return new HistoryLostError('the checkpoint is no longer in the oplog', { cause: error });
  }
  return new StoreUnavailableError('MongoDB failed to tail events', { cause: error });
}

function invalidated(why: string): SubscriptionEndedError {
  return new SubscriptionEndedError(
    'stream-invalidated',
    `${why}: Events was dropped or renamed; restart once it is restored`,
  );
}
