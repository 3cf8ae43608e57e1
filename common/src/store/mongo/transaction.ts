import { type ClientSession, MongoServerError, type TransactionOptions } from 'mongodb';
import { hasLabel } from './error-codes';

/** The parts of a driver session a transaction uses. */
export type TransactionSession = Pick<
  ClientSession,
  'startTransaction' | 'commitTransaction' | 'abortTransaction' | 'inTransaction'
>;

export interface TransactionRetry {
  /** Attempts in all, the first included (2-4: each costs a round of the body's commands). */
  readonly attempts: number;
  /** No attempt starts that, as long as the longest so far, would end later than this after the first began. */
  readonly budgetMs: number;
  readonly options?: TransactionOptions;
  /** What the caller makes of the error that ends the runs (the last attempt's, or a final one). */
  readonly classify?: (error: unknown) => unknown;
  readonly clock?: RetryClock;
}

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1): spreads the pauses of racers that failed together, so that they do not meet again. */
  random(): number;
}

/** First pause after a transient failure; it doubles on each, with full jitter. */
const FIRST_PAUSE_MS = 10;

const realClock: RetryClock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * Runs `body` as one transaction on `session` and commits it, again from the start when the
 * server says nothing of it committed, a bounded number of times. The driver's withTransaction
 * does the same, but for up to 120 s and always with an explicit abort; an append must answer
 * within its time limit, and most aborts are not needed (below).
 *
 * Retried: an error labelled TransientTransactionError, from a statement or from the commit.
 * The label is the server's promise that the transaction did not commit (transactions spec,
 * "TransientTransactionError"; node_modules/mongodb/src/sessions.ts, withTransaction 7.2/10.2):
 * a write conflict with a concurrent transaction (write_ops_exec.cpp `handleError`: "Tell the
 * client to try the whole txn again"), a lock timeout, a stepdown between statements, or
 * NoSuchTransaction at commit after a failover.
 *
 * Not retried: a commit labelled UnknownTransactionCommitResult (a write concern error or
 * timeout, or a network error on the driver's own retry of the commit, sessions.ts
 * `commitTransaction`). It may have committed, so running the body again could store it twice,
 * and the label wins over TransientTransactionError. It goes to `classify` as the outcome unknown.
 */
export async function runTransaction<T>(
  session: TransactionSession,
  body: () => Promise<T>,
  retry: TransactionRetry,
): Promise<T> {
  const clock = retry.clock ?? realClock;
  const classify = retry.classify ?? ((error: unknown) => error);
  const startedAt = clock.now();
  let longestAttempt = 0;
  for (let attempt = 1; ; attempt++) {
    const attemptStartedAt = clock.now();
    let error: unknown;
    try {
      return await attemptOnce(session, body, retry.options);
    } catch (failure) {
      error = failure;
    }
    if (!worthAnotherAttempt(error) || attempt >= retry.attempts) throw classify(error);
    longestAttempt = Math.max(longestAttempt, clock.now() - attemptStartedAt);
    const pause = clock.random() * FIRST_PAUSE_MS * 2 ** (attempt - 1);
    // Judged by the longest attempt so far: one that could not finish in time is not begun.
    if (clock.now() + pause + longestAttempt - startedAt > retry.budgetMs) throw classify(error);
    await clock.sleep(pause);
  }
}

async function attemptOnce<T>(
  session: TransactionSession,
  body: () => Promise<T>,
  options: TransactionOptions | undefined,
): Promise<T> {
  session.startTransaction(options);
  let result: T;
  try {
    result = await body();
  } catch (error) {
    await endFailedTransaction(session, error);
    throw error;
  }
  await session.commitTransaction();
  return result;
}

/**
 * After a statement failed. If the server answered with the error, it has aborted the
 * transaction already: a write error inside a transaction aborts it (write_ops_exec.cpp
 * `handleError`: "If we are in a transaction, we must fail the whole batch",
 * `txnParticipant.abortTransaction`; the 8.0 bulkWrite command sends its refused writes through
 * the same `write_ops_exec::handleError`, query_cmd/bulk_write.cpp), and so does any failed command
 * (service_entry_point_common.cpp `invokeWithSessionCheckedOut`, the guard calling
 * `_abortUnpreparedOrStashPreparedTransaction`). An explicit abort would then only get
 * NoSuchTransaction, which the server answers, for a command with a write concern, after a no-op
 * oplog write and a wait for it (`RunCommandAndWaitForWriteConcern::_handleError`, "Do no-op
 * write before returning NoSuchTransaction"): one replicated write per lost race, for nothing.
 * So the session is only told locally. Any other failure (the network, or this process's own
 * code) may have left the transaction open on the server, so it is aborted there.
 */
async function endFailedTransaction(session: TransactionSession, error: unknown): Promise<void> {
  if (!session.inTransaction()) return;
  if (answeredByServer(error) && forgetAbortedTransaction(session)) return;
  // The driver ignores what an abort answers (sessions.ts `abortTransaction`).
  await session.abortTransaction().catch(() => undefined);
}

/**
 * Marks the session's transaction aborted without a command. The driver offers no public way
 * (every path, endSession included, sends abortTransaction), so this uses its internal state
 * machine, which allows "in progress" to "aborted" (src/transactions.ts `stateMachine`); its
 * absence, in some other driver version, gives false and the caller sends the abort instead.
 * A test runs this against a real driver session (transaction.test.ts).
 */
export function forgetAbortedTransaction(session: TransactionSession): boolean {
  const transaction: unknown = Reflect.get(session, 'transaction');
  if (typeof transaction !== 'object' || transaction === null) return false;
  const transition: unknown = Reflect.get(transaction, 'transition');
  if (typeof transition !== 'function') return false;
  transition.call(transaction, 'TRANSACTION_ABORTED');
  return !session.inTransaction();
}

/** Nothing of the transaction committed, and its commit cannot have happened either. */
function worthAnotherAttempt(error: unknown): boolean {
  return isTransient(error) && !isUnknownCommitResult(error);
}

/**
 * Looked for along the causes too: a multi-collection bulkWrite wraps the server's error, labels
 * and all, as the `cause` of a MongoClientBulkWriteError that has none of its own (driver
 * operations/client_bulk_write/executor.ts).
 */
export function isTransient(error: unknown): boolean {
  return someCause(error, (cause) => hasLabel(cause, 'TransientTransactionError'));
}

export function isUnknownCommitResult(error: unknown): boolean {
  return someCause(error, (cause) => hasLabel(cause, 'UnknownTransactionCommitResult'));
}

/**
 * Whether the server itself answered with this error, or with the error it was made from (the
 * adapter turns a duplicate key on a claim into EmailTakenError, keeping it as the cause).
 */
function answeredByServer(error: unknown): boolean {
  return someCause(error, (cause) => cause instanceof MongoServerError);
}

/** Whether the error, or one of the errors it was made from, is such. */
function someCause(error: unknown, test: (cause: unknown) => boolean): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (test(current)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}
