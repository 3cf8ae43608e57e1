import type { Document } from 'mongodb';

/*
 * What makes a MongoDB deployment unusable for this store, as a sentence for the operator, or
 * null when it is fine. Retrying cannot fix any of these, so the caller stops at start instead
 * of failing later in ways that say nothing (a change stream refused, a lost race both winning).
 */

/**
 * @param hello a server's answer to `hello`
 * @param expectedSetName the replica set MONGO_URL names, if it names one
 */
export function replicaSetProblem(hello: Document, expectedSetName?: string): string | null {
  if (hello.msg === 'isdbgrid') return null;
  if (typeof hello.setName !== 'string') {
    return 'MONGO_URL points at a MongoDB server that is not a replica set member: change streams and majority writes need a replica set (start mongod with --replSet and initiate it, e.g. with mongo-init)';
  }
  if (expectedSetName !== undefined && hello.setName !== expectedSetName) {
    return `MONGO_URL names replica set "${expectedSetName}", but the server belongs to "${hello.setName}": correct replicaSet= in MONGO_URL`;
  }
  return null;
}

/** @param eventIndexes the indexes of `Events` (empty when the collection does not exist) */
export function indexProblem(eventIndexes: readonly Document[], database: string): string | null {
  const unique = eventIndexes.some(
    (index) => index.unique === true && sameKeys(index.key, { userId: 1, version: 1 }),
  );
  if (unique) return null;
  return `database "${database}" has no unique { userId: 1, version: 1 } index on Events, so concurrent writes could both win: run mongo-init against it (MONGO_DB=${database}) before starting the services`;
}

function sameKeys(actual: unknown, expected: Readonly<Record<string, number>>): boolean {
  if (typeof actual !== 'object' || actual === null) return false;
  const actualEntries = Object.entries(actual);
  const expectedEntries = Object.entries(expected);
  return (
    actualEntries.length === expectedEntries.length &&
    expectedEntries.every(([key, direction], position) => {
      const entry = actualEntries[position];
      return entry !== undefined && entry[0] === key && Number(entry[1]) === direction;
    })
  );
}
