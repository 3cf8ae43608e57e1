import { MongoClientBulkWriteError, MongoServerError } from 'mongodb';
import { created, erased, eventsFor, fieldsFor, updated } from '@user-service/test-support';
import { appendWrites, refusalOf } from '../../../src/store/mongo/append-writes';
import { toEventDocument } from '../../../src/store/mongo/event-documents';

const key = { keyId: 'k-1', masterKeyId: 'm-1', wrapped: 'd3JhcHBlZA' };
const outcome = {
  key: 'key-1',
  token: 't-1',
  outcome: { status: 200, headers: {}, body: '{}' },
  expiresAt: new Date(8.64e15),
};
const documents = (...events: Parameters<typeof eventsFor>) =>
  eventsFor(...events).map(toEventDocument);

/** `namespace name`, one per write: what the one bulkWrite command carries, in order. */
const shapeOf = (writes: ReturnType<typeof appendWrites>) =>
  writes.models.map((model) => `${model.namespace} ${model.name}`);

describe('the writes of one append', () => {
  it('a name or group change alone is one insert, needing no transaction', () => {
    const writes = appendWrites('users', 'ada', documents('ada', 1, updated({ group: 2 })), {});
    expect(shapeOf(writes)).toEqual(['users.Events insertOne']);
    expect(writes.atomic).toBe(false);
  });

  it('a keyed update adds its outcome after the event, still without a transaction', () => {
    const writes = appendWrites('users', 'ada', documents('ada', 1, updated({ group: 2 })), {
      outcome,
    });
    expect(shapeOf(writes)).toEqual([
      'users.Events insertOne',
      'users.IdempotentRequests updateOne',
    ]);
    expect(writes.roles).toEqual(['event', 'outcome']);
    expect(writes.atomic).toBe(false);
  });

  it('a create writes its event, then its key, then its claim, atomically', () => {
    const writes = appendWrites('users', 'ada', documents('ada', 0, created(fieldsFor(1))), {
      dataKey: { kind: 'create', key },
      emailClaim: { kind: 'hold', key: 'hash-1' },
    });
    expect(shapeOf(writes)).toEqual([
      'users.Events insertOne',
      'users.DataKeys insertOne',
      'users.EmailClaims deleteMany',
      'users.EmailClaims replaceOne',
    ]);
    expect(writes.roles).toEqual(['event', 'dataKey', 'claim', 'claim']);
    expect(writes.atomic).toBe(true);
    // The claim's upsert matches only a claim this user holds: one another user holds is a
    // second insert of its _id, refused by the index.
    expect(writes.models[3]).toMatchObject({
      filter: { _id: 'hash-1', userId: 'ada' },
      replacement: { userId: 'ada' },
      upsert: true,
    });
  });

  it('an erasure deletes the key with its event; a delete releases the claim', () => {
    const erasure = appendWrites('users', 'ada', documents('ada', 2, erased()), {
      dataKey: { kind: 'destroy' },
      emailClaim: { kind: 'release' },
    });
    expect(shapeOf(erasure)).toEqual([
      'users.Events insertOne',
      'users.DataKeys deleteOne',
      'users.EmailClaims deleteMany',
    ]);
    expect(erasure.models[1]).toMatchObject({ filter: { _id: 'ada' } });
    expect(erasure.models[2]).toMatchObject({ filter: { userId: 'ada' } });
    expect(erasure.atomic).toBe(true);
  });
});

describe('why an append was refused', () => {
  const roles = ['event', 'dataKey', 'claim', 'claim', 'outcome'] as const;

  /** A refused write of an ordered bulkWrite, as the driver reports it (results_merger.ts). */
  function refusedAt(index: number, code: number): MongoClientBulkWriteError {
    const error = new MongoClientBulkWriteError({ message: 'refused' });
    error.writeErrors.set(index, { code, message: 'refused' });
    return error;
  }

  it.each([
    ['the event (its id or version taken)', 0, 'event'],
    ['the key (the user was not new)', 1, 'dataKey'],
    ['the claim (another user holds the email)', 3, 'emailTaken'],
  ])('a duplicate key on %s', (_, index, refusal) => {
    expect(refusalOf(refusedAt(index, 11000), roles)).toBe(refusal);
  });

  it('a refusal other than a duplicate key leaves the outcome unknown', () => {
    expect(refusalOf(refusedAt(0, 2), roles)).toBe('other');
  });

  it('a command error wrapped by the driver is read from its cause, labels included', () => {
    // client_bulk_write/executor.ts wraps a server error, labels and all, as `cause`.
    const conflict = new MongoServerError({ code: 112, errmsg: 'write conflict' });
    conflict.addErrorLabel('TransientTransactionError');
    const wrapped = new MongoClientBulkWriteError({ message: 'wrapped' });
    wrapped.cause = conflict;
    expect(refusalOf(wrapped, roles)).toBe('conflict');

    const timeout = new MongoClientBulkWriteError({ message: 'wrapped' });
    timeout.cause = new MongoServerError({ code: 50, errmsg: 'operation exceeded time limit' });
    expect(refusalOf(timeout, roles)).toBe('other');
  });
});
