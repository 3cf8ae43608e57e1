import type { Db } from 'mongodb';
import { BSON } from 'mongodb';

/**
 * Every string held in an object graph (an in-memory store: its maps, arrays and records), one
 * per line: what a scan for plain personal data reads. Buffers (unwrapped keys) are not text.
 */
export function everyStringIn(root: unknown): string {
  const strings: string[] = [];
  const seen = new Set<object>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value);
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    if (Buffer.isBuffer(value) || value instanceof Date) return;
    seen.add(value);
    const items =
      value instanceof Map
        ? [...value].flat()
        : value instanceof Set || Array.isArray(value)
          ? [...value]
          : Object.values(value);
    for (const item of items) visit(item);
  };
  visit(root);
  return strings.join('\n');
}

/** Every document of every collection of the database, as extended JSON, one per line. */
export async function everyDocumentIn(db: Db): Promise<string> {
  const lines: string[] = [];
  for (const collection of await db.collections()) {
    for (const document of await collection.find({}).toArray())
      lines.push(`${collection.collectionName} ${BSON.EJSON.stringify(document)}`);
  }
  return lines.join('\n');
}
