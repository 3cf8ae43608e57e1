import type { Document } from 'mongodb';
import { EMAIL_INDEX_OWNER } from '../../../src/personal-data/personal-data';
import { emailIndexProblem, indexProblem } from '../../../src/store/mongo/deployment-check';
import { planIndexes } from '../../../src/store/mongo/index-plan';
import { EMAIL_INDEX_KEY_OWNER, INDEXES } from '../../../src/store/mongo/schema';

/** A collection's indexes as listIndexes answers them: `_id_` first, then in creation order. */
function listed(collection: string): Document[] {
  return [
    { v: 2, key: { _id: 1 }, name: '_id_' },
    ...(INDEXES[collection] ?? []).map((index) => ({ v: 2, ...index })),
  ];
}

/** Every collection as a database mongo-init prepared holds it. */
function prepared(): Record<string, Document[]> {
  return Object.fromEntries(Object.keys(INDEXES).map((name) => [name, listed(name)]));
}

describe('the index check at connect', () => {
  it('accepts a database with every index mongo-init creates, and any others besides', () => {
    const indexes = prepared();
    indexes.Users = [...indexes.Users!, { v: 2, key: { partition: 1 }, name: 'partition' }];
    expect(indexProblem(indexes, 'users')).toBeNull();
  });

  it('refuses a database mongo-init never prepared, naming the unique index and what to run', () => {
    expect(indexProblem({}, 'shop')).toMatch(
      /no unique \{ userId: 1, version: 1 \} index on Events \(userId_version_unique\).*run mongo-init against it \(MONGO_DB=shop\)/,
    );
  });

  // As a database prepared before decisions 0009-0011 is: Events and Users only.
  it('names every index an older mongo-init did not create', () => {
    const indexes = { Events: listed('Events'), Users: listed('Users') };
    const problem = indexProblem(indexes, 'users');
    expect(problem).toContain('no unique { userId: 1 } index on EmailClaims (userId_unique)');
    expect(problem).toContain(
      'no { expiresAt: 1 } index with expireAfterSeconds 0 on IdempotentRequests (expiresAt_ttl)',
    );
    expect(problem).toContain('no { masterKeyId: 1, _id: 1 } index on DataKeys (masterKeyId_id)');
    expect(problem).not.toContain('on Events');
  });

  it.each([
    ['not unique', { unique: false }, /no unique \{ userId: 1, version: 1 \} index on Events/],
    [
      'on the keys in another order',
      { key: { version: 1, userId: 1 } },
      /no unique \{ userId: 1, version: 1 \} index on Events/,
    ],
  ])('refuses the arbiter index %s', (_, change, message) => {
    const indexes = prepared();
    indexes.Events = listed('Events').map((index) =>
      index.name === 'userId_version_unique' ? { ...index, ...change } : index,
    );
    expect(indexProblem(indexes, 'users')).toMatch(message);
  });

  it('refuses a TTL index that deletes idempotency records at another time than mongo-init sets', () => {
    const indexes = prepared();
    indexes.IdempotentRequests = listed('IdempotentRequests').map((index) =>
      index.name === 'expiresAt_ttl' ? { ...index, expireAfterSeconds: 3600 } : index,
    );
    expect(indexProblem(indexes, 'users')).toMatch(
      /no \{ expiresAt: 1 \} index with expireAfterSeconds 0 on IdempotentRequests/,
    );
  });
});

describe('the email claims’ key at connect', () => {
  it('is the key personal data hashes emails with', () => {
    expect(EMAIL_INDEX_KEY_OWNER).toBe(EMAIL_INDEX_OWNER);
  });

  it('accepts claims with their key, and no claims with or without it', () => {
    expect(emailIndexProblem({ claims: true, emailIndexKey: true }, 'users')).toBeNull();
    expect(emailIndexProblem({ claims: false, emailIndexKey: false }, 'users')).toBeNull();
    expect(emailIndexProblem({ claims: false, emailIndexKey: true }, 'users')).toBeNull();
  });

  // A partial restore: a new key would be made, and no stored claim would match any more.
  it('refuses claims without the key they are hashed with, saying what to restore', () => {
    expect(emailIndexProblem({ claims: true, emailIndexKey: false }, 'users')).toMatch(
      /database "users" holds email claims .* not the data key .*"\$email-index".*restore DataKeys and EmailClaims from the same backup/,
    );
  });
});

describe('what mongo-init changes in an existing database', () => {
  const ttl = INDEXES.IdempotentRequests!;

  it('changes nothing in a database it prepared', () => {
    for (const name of Object.keys(INDEXES)) {
      expect(planIndexes(name, INDEXES[name]!, listed(name), ['partition'])).toEqual({
        create: [],
        retime: [],
        drop: [],
        conflicts: [],
      });
    }
  });

  it('creates what is missing, in a new collection and next to what is there', () => {
    expect(planIndexes('Events', INDEXES.Events!, []).create).toEqual(INDEXES.Events);
    const some = listed('Events').filter((index) => index.name !== 'occurredAt_type');
    expect(planIndexes('Events', INDEXES.Events!, some).create).toEqual([
      { key: { occurredAt: 1, type: 1 }, name: 'occurredAt_type' },
    ]);
  });

  it('changes a TTL in place (collMod) rather than failing, and makes an index a TTL one', () => {
    const hourly = [
      { v: 2, key: { expiresAt: 1 }, name: 'expiresAt_ttl', expireAfterSeconds: 3600 },
    ];
    expect(planIndexes('IdempotentRequests', ttl, hourly)).toMatchObject({
      create: [],
      retime: [{ name: 'expiresAt_ttl', expireAfterSeconds: 0 }],
      conflicts: [],
    });
    const plain = [{ v: 2, key: { expiresAt: 1 }, name: 'expiresAt_ttl' }];
    expect(planIndexes('IdempotentRequests', ttl, plain).retime).toEqual([
      { name: 'expiresAt_ttl', expireAfterSeconds: 0 },
    ]);
  });

  it('drops the Users partition index, a prefix of partition_id', () => {
    const withOld = [...listed('Users'), { v: 2, key: { partition: 1 }, name: 'partition' }];
    expect(planIndexes('Users', INDEXES.Users!, withOld, ['partition']).drop).toEqual([
      'partition',
    ]);
  });

  it.each([
    [
      'a wanted name on other keys',
      'Events',
      [{ v: 2, key: { userId: 1 }, name: 'userId_version_unique', unique: true }],
      /Events\.userId_version_unique is \{ userId: 1 \}, unique, where mongo-init wants unique \{ userId: 1, version: 1 \} index on Events/,
    ],
    [
      'a wanted unique index that is not unique',
      'EmailClaims',
      [{ v: 2, key: { userId: 1 }, name: 'userId_unique' }],
      /EmailClaims\.userId_unique is \{ userId: 1 \}, not unique, where mongo-init wants unique/,
    ],
    [
      'the wanted key under another name with other options',
      'EmailClaims',
      [{ v: 2, key: { userId: 1 }, name: 'byUser' }],
      /EmailClaims has the key of unique \{ userId: 1 \} index on EmailClaims \(userId_unique\) as "byUser", not unique/,
    ],
  ])('reports %s as a conflict, which it leaves to the operator', (_, name, existing, message) => {
    const plan = planIndexes(name, INDEXES[name]!, existing);
    expect(plan.create.map((index) => index.name)).not.toContain(INDEXES[name]![0]!.name);
    expect(plan.conflicts.join('\n')).toMatch(message);
  });
});
