import { EmailTakenError } from '@user-service/common/store';
import {
  MongoClient,
  MongoClientBulkWriteError,
  MongoNetworkError,
  MongoServerError,
} from 'mongodb';
import {
  forgetAbortedTransaction,
  type RetryClock,
  runTransaction,
  type TransactionRetry,
  type TransactionSession,
} from '../../../src/store/mongo/transaction';

const TRANSIENT = 'TransientTransactionError';

const writeConflict = () =>
  new MongoServerError({
    code: 112,
    codeName: 'WriteConflict',
    errmsg: 'x',
    errorLabels: [TRANSIENT],
  });
const duplicateKey = () =>
  new MongoServerError({ code: 11000, codeName: 'DuplicateKey', errmsg: 'E11000' });

/**
 * Stands in for a driver session: records the transaction commands it would send, and keeps the
 * state the driver keeps (including the internal transition the runner uses to forget a
 * transaction the server aborted, which the last test checks against the real driver).
 */
class FakeSession implements TransactionSession {
  readonly sent: string[] = [];
  readonly commitFailures: unknown[] = [];
  private state: 'none' | 'open' | 'aborted' | 'committed' = 'none';
  private onEnd: ((committed: boolean) => void)[] = [];

  readonly transaction = {
    transition: (state: string) => {
      if (state === 'TRANSACTION_ABORTED') this.end(false);
    },
  };

  startTransaction(): void {
    this.state = 'open';
    this.sent.push('start');
  }

  inTransaction(): boolean {
    return this.state === 'open';
  }

  async commitTransaction(): Promise<void> {
    this.sent.push('commitTransaction');
    const failure = this.commitFailures.shift();
    if (failure) {
      this.end(false);
      throw failure;
    }
    this.end(true);
  }

  async abortTransaction(): Promise<void> {
    this.sent.push('abortTransaction');
    this.end(false);
  }

  /** Called once this attempt ends, with whether it committed. */
  whenEnded(then: (committed: boolean) => void): void {
    this.onEnd.push(then);
  }

  private end(committed: boolean): void {
    this.state = committed ? 'committed' : 'aborted';
    const waiting = this.onEnd;
    this.onEnd = [];
    for (const then of waiting) then(committed);
  }
}

/** Pauses that end on the next turn of the event loop, and a clock that moves only when told. */
class FakeClock implements RetryClock {
  time = 0;
  readonly pauses: number[] = [];
  now = () => this.time;
  random = () => 0.5;
  sleep = async (ms: number) => {
    this.pauses.push(ms);
    this.time += ms;
    await new Promise((resolve) => setImmediate(resolve));
  };
}

/** Work that throws `failure` on its first run and succeeds on the next ones. */
function failingOnce(failure: unknown): () => Promise<void> {
  let failed = false;
  return async () => {
    if (failed) return;
    failed = true;
    throw failure;
  };
}

function retry(clock: FakeClock, overrides: Partial<TransactionRetry> = {}): TransactionRetry {
  return { attempts: 3, budgetMs: 2000, clock, ...overrides };
}

describe('running a MongoDB transaction', () => {
  it('runs it again when the server says nothing of it committed, and sends no abort for the one the server aborted', async () => {
    const session = new FakeSession();
    const failures = [writeConflict()];
    let runs = 0;
    const result = await runTransaction(
      session,
      async () => {
        runs += 1;
        const failure = failures.shift();
        if (failure) throw failure;
        return 'stored';
      },
      retry(new FakeClock()),
    );
    expect(result).toBe('stored');
    expect(runs).toBe(2);
    expect(session.sent).toEqual(['start', 'start', 'commitTransaction']);
  });

  it('runs it again when the transient error comes wrapped, as a multi-collection bulkWrite wraps it', async () => {
    const session = new FakeSession();
    const wrapped = new MongoClientBulkWriteError({ message: 'bulk write failed' });
    wrapped.cause = writeConflict();
    await runTransaction(session, failingOnce(wrapped), retry(new FakeClock()));
    expect(session.sent).toEqual(['start', 'start', 'commitTransaction']);
  });

  it('of 20 racers for one email, stores one; the others see a write conflict, run again, and end with EmailTakenError', async () => {
    // One unique claim, as EmailClaims' _id: a second writer inside an open transaction gets a
    // write conflict (112, TransientTransactionError); once the holder committed, a duplicate key.
    const committed = new Map<string, string>();
    const writing = new Map<string, string>();
    const conflictsSeen = new Set<string>();
    const claim = (session: FakeSession, key: string, userId: string) => {
      const writer = writing.get(key);
      if (writer && writer !== userId) {
        conflictsSeen.add(userId);
        throw writeConflict();
      }
      const holder = committed.get(key);
      if (holder && holder !== userId) throw duplicateKey();
      writing.set(key, userId);
      session.whenEnded((done) => {
        writing.delete(key);
        if (done) committed.set(key, userId);
      });
    };
    const sessions = Array.from({ length: 20 }, () => new FakeSession());
    const outcomes = await Promise.allSettled(
      sessions.map((session, n) =>
        runTransaction(
          session,
          async () => {
            await Promise.resolve(); // the event's insert
            try {
              claim(session, 'Race@', `racer${n}`);
            } catch (error) {
              // As the adapter's changeClaims does.
              if (error instanceof MongoServerError && error.code === 11000)
                throw new EmailTakenError(`racer${n}`, { cause: error });
              throw error;
            }
            await Promise.resolve(); // the claim's reply
          },
          retry(new FakeClock()),
        ),
      ),
    );

    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const losers = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [outcome.reason] : [],
    );
    expect(losers).toHaveLength(19);
    for (const loser of losers) expect(loser).toBeInstanceOf(EmailTakenError);
    expect(conflictsSeen.size).toBe(19);
    expect([...committed.values()]).toHaveLength(1);
    expect(sessions.flatMap((session) => session.sent)).not.toContain('abortTransaction');
  });

  it('sends no abort for a refusal the server answered, and does not run it again', async () => {
    const session = new FakeSession();
    const refusal = new EmailTakenError('ada', { cause: duplicateKey() });
    await expect(
      runTransaction(session, () => Promise.reject(refusal), retry(new FakeClock())),
    ).rejects.toBe(refusal);
    expect(session.sent).toEqual(['start']);
    expect(session.inTransaction()).toBe(false);
  });

  it('aborts on the server a transaction a network error may have left open', async () => {
    const session = new FakeSession();
    const lost = new MongoNetworkError('connection reset');
    await expect(
      runTransaction(session, () => Promise.reject(lost), retry(new FakeClock())),
    ).rejects.toBe(lost);
    expect(session.sent).toEqual(['start', 'abortTransaction']);
  });

  it('aborts, then runs again, after a network error the driver labelled transient', async () => {
    const session = new FakeSession();
    const lost = new MongoNetworkError('connection reset');
    lost.addErrorLabel(TRANSIENT);
    await runTransaction(session, failingOnce(lost), retry(new FakeClock()));
    expect(session.sent).toEqual(['start', 'abortTransaction', 'start', 'commitTransaction']);
  });

  it('does not run again a commit whose outcome is unknown, and hands it to classify', async () => {
    const session = new FakeSession();
    const unknown = new MongoServerError({
      code: 64,
      codeName: 'WriteConcernTimeout',
      errmsg: 'waiting for replication timed out',
    });
    unknown.addErrorLabel('UnknownTransactionCommitResult');
    session.commitFailures.push(unknown);
    let runs = 0;
    const classified = await runTransaction(
      session,
      async () => {
        runs += 1;
      },
      retry(new FakeClock(), { classify: (error) => ({ outcomeUnknown: error }) }),
    ).catch((error: unknown) => error);

    expect(classified).toEqual({ outcomeUnknown: unknown });
    expect(runs).toBe(1);
    expect(session.sent).toEqual(['start', 'commitTransaction']);
  });

  it('does not run again a commit labelled both transient and of unknown outcome', async () => {
    const session = new FakeSession();
    const lost = new MongoNetworkError('connection reset during the commit');
    lost.addErrorLabel(TRANSIENT);
    lost.addErrorLabel('UnknownTransactionCommitResult');
    session.commitFailures.push(lost);
    let runs = 0;
    await expect(
      runTransaction(
        session,
        async () => {
          runs += 1;
        },
        retry(new FakeClock()),
      ),
    ).rejects.toBe(lost);
    expect(runs).toBe(1);
  });

  it('runs the whole transaction again when the commit says it did not commit', async () => {
    const session = new FakeSession();
    session.commitFailures.push(
      new MongoServerError({
        code: 251,
        codeName: 'NoSuchTransaction',
        errmsg: 'x',
        errorLabels: [TRANSIENT],
      }),
    );
    let runs = 0;
    await runTransaction(
      session,
      async () => {
        runs += 1;
      },
      retry(new FakeClock()),
    );
    expect(runs).toBe(2);
    expect(session.sent).toEqual(['start', 'commitTransaction', 'start', 'commitTransaction']);
  });

  it('gives up after the attempts it was given, with the last error', async () => {
    const session = new FakeSession();
    let runs = 0;
    const last = await runTransaction(
      session,
      async () => {
        runs += 1;
        throw writeConflict();
      },
      retry(new FakeClock(), { attempts: 3 }),
    ).catch((error: unknown) => error);
    expect(runs).toBe(3);
    expect(last).toMatchObject({ code: 112 });
  });

  it('starts no attempt that the time budget cannot hold', async () => {
    const session = new FakeSession();
    const clock = new FakeClock();
    let runs = 0;
    await expect(
      runTransaction(
        session,
        async () => {
          runs += 1;
          clock.time += 400; // each run takes most of the budget
          throw writeConflict();
        },
        retry(clock, { attempts: 4, budgetMs: 1000 }),
      ),
    ).rejects.toMatchObject({ code: 112 });
    expect(runs).toBe(2);
  });

  it('forgets a transaction on a real driver session without a command, so the next one can start and ending sends no abort', async () => {
    const client = new MongoClient('mongodb://127.0.0.1:1', { serverSelectionTimeoutMS: 1 });
    const session = client.startSession();
    const abort = jest.spyOn(session, 'abortTransaction');
    session.startTransaction();

    expect(forgetAbortedTransaction(session)).toBe(true);
    expect(session.inTransaction()).toBe(false);
    session.startTransaction();
    expect(session.inTransaction()).toBe(true);
    expect(forgetAbortedTransaction(session)).toBe(true);
    await session.endSession();

    expect(abort).not.toHaveBeenCalled();
    await client.close();
  });
});
