import { MongoServerError, Timestamp } from 'mongodb';
import { indexProblem, replicaSetProblem } from '../../../src/store/mongo/deployment-check';
import { refusalOf } from '../../../src/store/mongo/append-writes';
import { catchUpRanges } from '../../../src/store/mongo/mongo-event-store';
import { created, eventsFor, fieldsFor, updated } from '@user-service/test-support';
import { timeOfResumeToken } from '../../../src/store/mongo/resume-token';

describe('resume token time', () => {
  it('reads the cluster time a v1 token starts with', () => {
    // A token as the server documents it: 0x82, then seconds 0x635019A0 and increment 1.
    const token = {
      _data:
        '82635019A0000000012B022C0100296E5A1004AB1154ACACD849A48C61756D70D3B21F463C6F7065726174696F6E54797065003C696E736572740046646F63756D656E744B65790046645F69640064635019A078BE67426D7CF4D2000004',
    };
    expect(timeOfResumeToken(token)).toEqual(new Timestamp({ t: 0x635019a0, i: 1 }));
  });

  it.each([
    ['a token of another form (BinData v0)', { _data: Buffer.from('82') }],
    ['a token that does not start with a timestamp', { _data: '2B022C0100296E5A1004' }],
    ['no token', null],
  ])('gives null for %s, so the position stays unknown', (_, token) => {
    expect(timeOfResumeToken(token)).toBeNull();
  });
});

describe('an append refused as one plain insert', () => {
  const transient = (code: number) => {
    const error = new MongoServerError({ code, errmsg: 'conflict' });
    error.addErrorLabel('TransientTransactionError');
    return error;
  };

  it.each([
    [
      'a duplicate key: the event id or version is taken',
      new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' }),
      'event',
    ],
    ['a write conflict that aborted the transaction', transient(112), 'conflict'],
    [
      'a write conflict without the transient label: unknown',
      new MongoServerError({ code: 112, errmsg: 'conflict' }),
      'other',
    ],
    [
      'a write concern timeout: the outcome is unknown',
      new MongoServerError({ code: 64, errmsg: 'waiting for replication timed out' }),
      'other',
    ],
    ['a failover that guarantees nothing was committed', transient(189), 'conflict'],
  ])('%s → %s', (_, error, refusal) => {
    expect(refusalOf(error, ['event'])).toBe(refusal);
  });
});

describe('deployment check', () => {
  const uniqueIndex = {
    name: 'userId_version_unique',
    key: { userId: 1, version: 1 },
    unique: true,
  };

  it('accepts a member of the replica set named, or of any set when none is named, and mongos', () => {
    expect(replicaSetProblem({ isWritablePrimary: true, setName: 'rs0' }, 'rs0')).toBeNull();
    expect(replicaSetProblem({ secondary: true, setName: 'prod' })).toBeNull();
    expect(replicaSetProblem({ msg: 'isdbgrid' }, 'rs0')).toBeNull();
  });

  it('refuses a standalone server, saying it is not a replica set', () => {
    expect(replicaSetProblem({ isWritablePrimary: true }, 'rs0')).toMatch(/not a replica set/);
  });

  it('refuses a member of another replica set than MONGO_URL names, naming both', () => {
    expect(replicaSetProblem({ isWritablePrimary: true, setName: 'testset' }, 'rs0')).toMatch(
      /names replica set "rs0".*belongs to "testset"/,
    );
  });

  // The arbiter of concurrent writes; every other index is checked alike (indexes.test.ts).
  it('accepts Events with the unique { userId, version } index', () => {
    expect(
      indexProblem({ Events: [{ name: '_id_', key: { _id: 1 } }, uniqueIndex] }, 'users', {
        Events: [uniqueIndex],
      }),
    ).toBeNull();
  });

  it.each([
    ['no Events collection', []],
    ['an index that is not unique', [{ ...uniqueIndex, unique: false }]],
    ['a unique index on other keys', [{ ...uniqueIndex, key: { version: 1, userId: 1 } }]],
  ])('refuses %s, naming the index and mongo-init', (_, indexes) => {
    expect(indexProblem({ Events: indexes }, 'shop')).toMatch(
      /no unique \{ userId: 1, version: 1 \} index on Events.*mongo-init.*MONGO_DB=shop/,
    );
  });
});

describe('catch-up ranges', () => {
  it('read every partition whole, in order, from the start', () => {
    expect(catchUpRanges([4, 2, 4], null)).toEqual([{ partition: 2 }, { partition: 4 }]);
  });

  it('read on after an event: the rest of its user, the rest of its partition, then the later partitions', () => {
    const [, second] = eventsFor('ada', 0, created(fieldsFor(1)), updated({ group: 2 }));
    const { partition } = second!;
    expect(catchUpRanges([partition + 1, partition, partition - 1], second!)).toEqual([
      { partition, userId: 'ada', version: { $gt: 2 } },
      { partition, userId: { $gt: 'ada' } },
      { partition: partition + 1 },
    ]);
  });
});
