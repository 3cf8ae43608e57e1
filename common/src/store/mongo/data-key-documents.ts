import { Binary } from 'mongodb';
import type { WrappedDataKey } from '../data-key-store';
import type { DataKeyDocument } from './schema';

type StoredKeyFields = Pick<DataKeyDocument, 'keyId' | 'masterKeyId' | 'wrapped'>;

/**
 * A data key's fields as `DataKeys` stores them: the wrapped key as a binary (60 bytes, where its
 * base64 text took 80). Keys stored before as text stay so, and read the same.
 */
export function toStoredKey({ keyId, masterKeyId, wrapped }: WrappedDataKey): StoredKeyFields {
  return { keyId, masterKeyId, wrapped: new Binary(Buffer.from(wrapped, 'base64url')) };
}

/** The key alone, as a new object: nothing else of a document goes along. */
export function fromStoredKey({ keyId, masterKeyId, wrapped }: StoredKeyFields): WrappedDataKey {
  return {
    keyId,
    masterKeyId,
    wrapped:
      typeof wrapped === 'string'
        ? wrapped
        : Buffer.from(wrapped.read(0, wrapped.length())).toString('base64url'),
  };
}

/**
 * A condition on `wrapped` that matches the key however it was stored, binary or text. A string
 * operand never matches a binary (type bracketing), and two binaries are equal when their length,
 * subtype and bytes are (MongoDB manual, "Comparison/Sort Order", BinData): the binary here is
 * built as `toStoredKey` builds it, subtype 0.
 */
export function storedEitherWay(wrapped: string): { $in: [string, Binary] } {
  return { $in: [wrapped, new Binary(Buffer.from(wrapped, 'base64url'))] };
}
