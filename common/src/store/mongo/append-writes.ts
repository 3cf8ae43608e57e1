import type { ClientBulkWriteModel } from 'mongodb';
import type { AppendEffects } from '../event-store';
import { toStoredKey } from './data-key-documents';
import { hasCode, hasLabel, MONGO_ERROR } from './error-codes';
import { COLLECTIONS, type EventDocument } from './schema';

/** Every document an append writes has a string `_id`: an event id, a user id or a key. */
type AppendDocument = { _id: string } & Record<string, unknown>;

/** Every collection an append writes, for the driver's typing of a multi-collection bulkWrite. */
export type AppendSchemas = Record<string, AppendDocument>;

type AppendModel = ClientBulkWriteModel<AppendSchemas>;

/** What each write of an append stands for: how a refusal of it is explained. */
export type AppendWriteRole = 'event' | 'dataKey' | 'claim' | 'outcome';

export interface AppendWrites {
  readonly models: AppendModel[];
  /** The role of `models[i]`. */
  readonly roles: AppendWriteRole[];
  /** The event documents among them, for an append that is one plain insert. */
  readonly events: readonly EventDocument[];
  /** True when the writes must commit together: anything beyond one event and its outcome. */
  readonly atomic: boolean;
}

/**
 * Every write of one append as one multi-collection `bulkWrite` (MongoDB 8.0; one command,
 * `MongoClient.bulkWrite`), ordered: the events first, so that a retry of a stored append is
 * refused on its event id, as `alreadyStored`, before anything else of it could be refused; then
 * the data key, the claims, and the outcome of the request carrying it last, so that it is
 * remembered only once everything else is written.
 *
 * One event alone with at most its outcome needs no transaction: if the outcome's write is lost
 * after the event's (a crash between the two), the record stays in flight until its lease runs
 * out, and the retry finds the event by its derived id (decision 0010). Anything else (an email
 * claim, a data key, several events) must be stored all or none: `atomic`.
 */
export function appendWrites(
  database: string,
  userId: string,
  documents: readonly EventDocument[],
  effects: AppendEffects,
): AppendWrites {
  const ns = (collection: string) => `${database}.${collection}`;
  const models: AppendModel[] = [];
  const roles: AppendWriteRole[] = [];
  const add = (role: AppendWriteRole, model: AppendModel) => {
    models.push(model);
    roles.push(role);
  };
  for (const document of documents)
    add('event', {
      namespace: ns(COLLECTIONS.events),
      name: 'insertOne',
      document: { ...document },
    });
  const { dataKey, emailClaim, outcome } = effects;
  if (dataKey?.kind === 'create') {
    add('dataKey', {
      namespace: ns(COLLECTIONS.dataKeys),
      name: 'insertOne',
      document: { _id: userId, ...toStoredKey(dataKey.key), createdAt: new Date() },
    });
  }
  if (dataKey?.kind === 'destroy')
    add('dataKey', {
      namespace: ns(COLLECTIONS.dataKeys),
      name: 'deleteOne',
      filter: { _id: userId },
    });
  if (emailClaim) {
    // Its other claims go first, so the unique index on `userId` never sees two; the upsert
    // matches only a claim this user holds already, so one held by another user makes it insert
    // a second `_id`: a duplicate key, which is EmailTakenError.
    add('claim', {
      namespace: ns(COLLECTIONS.emailClaims),
      name: 'deleteMany',
      filter: emailClaim.kind === 'hold' ? { userId, _id: { $ne: emailClaim.key } } : { userId },
    });
    if (emailClaim.kind === 'hold')
      add('claim', {
        namespace: ns(COLLECTIONS.emailClaims),
        name: 'replaceOne',
        filter: { _id: emailClaim.key, userId },
        replacement: { userId },
        upsert: true,
      });
  }
  if (outcome)
    add('outcome', {
      namespace: ns(COLLECTIONS.idempotentRequests),
      name: 'updateOne',
      filter: { _id: outcome.key, token: outcome.token },
      update: { $set: { outcome: outcome.outcome, expiresAt: outcome.expiresAt } },
    });
  const atomic =
    documents.length > 1 || roles.some((role) => role === 'dataKey' || role === 'claim');
  return { models, roles, atomic, events: documents };
}

/**
 * Why an append's writes were refused:
 * - `event`: an event's id or version is taken (a retry of a stored append, or a lost race);
 * - `dataKey`: the user has a key already, so it is not the new user the caller took it for;
 * - `emailTaken`: another user holds the email;
 * - `conflict`: the transaction failed in a way that guarantees nothing of it was stored
 *   (TransientTransactionError: a concurrent transaction wrote the same documents first, or the
 *   primary stepped down), so it is decided again on a state read anew;
 * - `other`: anything else, whose outcome is unknown.
 * A multi-collection bulkWrite reports a refused write in `writeErrors` (by the write's index:
 * driver `results_merger.ts`), and wraps a command's own error as `cause`
 * (`client_bulk_write/executor.ts`), so both are looked at.
 */
export type AppendRefusal = 'event' | 'dataKey' | 'emailTaken' | 'conflict' | 'other';

export function refusalOf(error: unknown, roles: readonly AppendWriteRole[]): AppendRefusal {
  const cause = causeOf(error);
  if ([error, cause].some((candidate) => hasLabel(candidate, 'TransientTransactionError')))
    return 'conflict';
  const refused =
    firstWriteError(error) ??
    ([error, cause].some(isDuplicate) ? { index: -1, code: MONGO_ERROR.DuplicateKey } : undefined);
  if (refused?.code !== MONGO_ERROR.DuplicateKey) return 'other';
  switch (roles[refused.index]) {
    case 'dataKey':
      return 'dataKey';
    case 'claim':
      return 'emailTaken';
    case 'outcome':
      return 'other';
    default:
      // An event's write, or a plain insert's (no index): the event id or its version is taken.
      return 'event';
  }
}

function isDuplicate(error: unknown): boolean {
  return hasCode(error, MONGO_ERROR.DuplicateKey);
}

function causeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined;
}

/** The first refused write of an ordered bulkWrite: its index and code. */
function firstWriteError(error: unknown): { index: number; code: number } | undefined {
  if (typeof error !== 'object' || error === null || !('writeErrors' in error)) return undefined;
  const { writeErrors } = error;
  if (!(writeErrors instanceof Map)) return undefined;
  let first: { index: number; code: number } | undefined;
  for (const [index, refused] of writeErrors as Map<number, { code: number }>) {
    if (!first || index < first.index) first = { index, code: Number(refused.code) };
  }
  return first;
}
