import type { Document, IndexDescription } from 'mongodb';

/*
 * How the indexes a collection has (as `listIndexes` answers them: `{ v, key, name, unique?,
 * expireAfterSeconds? }`) compare with the ones the schema wants. Pure, so that the services'
 * check at connect and mongo-init's changes are decided the same way, and tested without a server.
 */

/** What mongo-init does to one collection's indexes, or what it cannot do. */
export interface IndexPlan {
  /** Missing: created with `createIndexes`. */
  readonly create: readonly IndexDescription[];
  /** Present under its name but with another TTL: changed in place with `collMod`. */
  readonly retime: readonly { readonly name: string; readonly expireAfterSeconds: number }[];
  /** Indexes the schema no longer wants, present here: dropped. */
  readonly drop: readonly string[];
  /** Present under its name with another key or uniqueness: only an operator can resolve it. */
  readonly conflicts: readonly string[];
}

/**
 * @param collection the collection's name, for messages
 * @param wanted the schema's indexes of the collection (`INDEXES`)
 * @param existing the indexes it has ([] when it does not exist)
 * @param obsolete names of indexes the schema once made and no longer wants
 */
export function planIndexes(
  collection: string,
  wanted: readonly IndexDescription[],
  existing: readonly Document[],
  obsolete: readonly string[] = [],
): IndexPlan {
  const create: IndexDescription[] = [];
  const retime: { name: string; expireAfterSeconds: number }[] = [];
  const conflicts: string[] = [];
  for (const index of wanted) {
    const named = existing.find((present) => present.name === index.name);
    if (!named) {
      const sameKey = existing.find((present) => sameKeys(present.key, index.key));
      if (sameKey && !sameOptions(sameKey, index)) {
        // createIndexes would fail with IndexOptionsConflict (85): the key is taken.
        conflicts.push(
          `${collection} has the key of ${describeIndex(collection, index)} as "${String(sameKey.name)}", ${optionsText(sameKey)}`,
        );
      } else if (!sameKey) {
        create.push(index);
      }
      continue;
    }
    if (!sameKeys(named.key, index.key) || Boolean(named.unique) !== Boolean(index.unique)) {
      // createIndexes would fail with IndexKeySpecsConflict (86) or IndexOptionsConflict (85).
      conflicts.push(
        `${collection}.${String(named.name)} is ${keyText(named.key)}, ${optionsText(named)}, where mongo-init wants ${describeIndex(collection, index)}`,
      );
      continue;
    }
    const ttl = index.expireAfterSeconds;
    if (ttl !== undefined && named.expireAfterSeconds !== ttl) {
      // collMod changes a TTL in place, and since 5.1 makes a single-field index a TTL one.
      retime.push({ name: String(named.name), expireAfterSeconds: ttl });
    } else if (ttl === undefined && named.expireAfterSeconds !== undefined) {
      conflicts.push(
        `${collection}.${String(named.name)} deletes documents after ${String(named.expireAfterSeconds)} s, where mongo-init wants ${describeIndex(collection, index)}`,
      );
    }
  }
  const drop = obsolete.filter((name) => existing.some((present) => present.name === name));
  return { create, retime, drop, conflicts };
}

/**
 * The wanted indexes a collection lacks, or has with other options, each as a phrase; empty when
 * it has them all. Extra indexes do not matter here.
 */
export function missingIndexes(
  collection: string,
  wanted: readonly IndexDescription[],
  existing: readonly Document[],
): string[] {
  return wanted
    .filter(
      (index) =>
        !existing.some(
          (present) => sameKeys(present.key, index.key) && sameOptions(present, index),
        ),
    )
    .map((index) => `no ${describeIndex(collection, index)}`);
}

/** For example `unique { userId: 1, version: 1 } index on Events (userId_version_unique)`. */
export function describeIndex(collection: string, index: IndexDescription): string {
  const unique = index.unique ? 'unique ' : '';
  const ttl =
    index.expireAfterSeconds === undefined
      ? ''
      : ` with expireAfterSeconds ${index.expireAfterSeconds}`;
  return `${unique}${keyText(index.key)} index${ttl} on ${collection} (${index.name ?? 'unnamed'})`;
}

function sameOptions(present: Document, index: IndexDescription): boolean {
  return (
    Boolean(present.unique) === Boolean(index.unique) &&
    optionalNumber(present.expireAfterSeconds) === index.expireAfterSeconds
  );
}

function optionalNumber(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : Number(value);
}

function optionsText(present: Document): string {
  const unique = present.unique ? 'unique' : 'not unique';
  const ttl =
    present.expireAfterSeconds === undefined
      ? ''
      : `, expireAfterSeconds ${String(present.expireAfterSeconds)}`;
  return `${unique}${ttl}`;
}

function keyText(key: unknown): string {
  if (typeof key !== 'object' || key === null) return String(key);
  const fields = Object.entries(key).map(([field, direction]) => `${field}: ${String(direction)}`);
  return `{ ${fields.join(', ')} }`;
}

/** The same fields in the same order with the same directions (a key's order matters). */
export function sameKeys(actual: unknown, expected: unknown): boolean {
  if (typeof actual !== 'object' || actual === null) return false;
  if (typeof expected !== 'object' || expected === null) return false;
  const actualEntries = Object.entries(actual);
  const expectedEntries = Object.entries(expected);
  return (
    actualEntries.length === expectedEntries.length &&
    expectedEntries.every(([field, direction], position) => {
      const entry = actualEntries[position];
      return entry !== undefined && entry[0] === field && Number(entry[1]) === Number(direction);
    })
  );
}
