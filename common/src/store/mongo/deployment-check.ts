import type { Document, IndexDescription } from 'mongodb';
import { missingIndexes } from './index-plan';
import { EMAIL_INDEX_KEY_OWNER, INDEXES } from './schema';

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

/**
 * @param indexes the indexes each collection of `wanted` has, as `listIndexes` answers them
 *   (empty, or absent, for a collection that does not exist)
 * @param wanted the indexes mongo-init creates (`INDEXES`)
 */
export function indexProblem(
  indexes: Readonly<Record<string, readonly Document[]>>,
  database: string,
  wanted: Readonly<Record<string, readonly IndexDescription[]>> = INDEXES,
): string | null {
  const missing = Object.entries(wanted).flatMap(([collection, wantedHere]) =>
    missingIndexes(collection, wantedHere, indexes[collection] ?? []),
  );
  if (missing.length === 0) return null;
  return `database "${database}" is not as mongo-init leaves it (${missing.join('; ')}), so concurrent writes could both win, emails be held twice or idempotency records pile up: run mongo-init against it (MONGO_DB=${database}) before starting the services`;
}

/**
 * The claims' `_id`s are keyed hashes under one data key (`EMAIL_INDEX_KEY_OWNER`): without it a
 * new one would be made, no existing claim would match any more, and one user per email would be
 * lost without an error. So claims without that key (a partial restore) stop the services.
 */
export function emailIndexProblem(
  found: { readonly claims: boolean; readonly emailIndexKey: boolean },
  database: string,
): string | null {
  if (!found.claims || found.emailIndexKey) return null;
  return `database "${database}" holds email claims (EmailClaims) but not the data key they are hashed with (DataKeys "${EMAIL_INDEX_KEY_OWNER}"), as after restoring one collection without the other: restore DataKeys and EmailClaims from the same backup; starting anyway would let two users hold one email`;
}
