import { Binary } from 'mongodb';
import type { PersonalField } from '../../domain';
import {
  recordFields,
  sealedRecordBytes,
  sealedRecordText,
} from '../../personal-data/sealed-record';

/**
 * Sealed personal data in a document (an event's `data`, a `Users` document): its records
 * (`pd2.`, personal-data/sealed-record.ts) stored as binaries rather than base64 text, and a
 * record that every personal field of the document shares stored once, as `pd`. Values sealed
 * one per field (`pd1.` text, from before) are stored and read as they are.
 *
 * The binary's subtype is 0x80, the first user-defined one (BSON spec, "binary"), so that a
 * sealed record is told from any other binary without looking inside. 0x80 exactly: the server's
 * extended validation (`validate` with `full`, mongodb/mongo src/mongo/bson/bson_validate.cpp,
 * ExtendedValidator::checkNonConformantElem) accepts `bdtCustom` (128) and reports any other
 * unknown subtype, 0x81-0xFF included, as non-conformant BSON.
 */
export const SEALED_SUBTYPE = 0x80;
/** The field a record all personal fields share is stored under. */
export const SHARED_RECORD_FIELD = 'pd';

const PERSONAL_FIELDS: readonly PersonalField[] = ['name', 'email'];

/**
 * `fields` with sealed records as binaries, the one all its personal fields share (holding just
 * those fields) as `pd` where the first of them was; everything else as it is.
 */
export function packSealed(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const present = PERSONAL_FIELDS.filter((field) => fields[field] !== undefined);
  const [first] = present;
  const shared = first === undefined ? undefined : fields[first];
  const sharedBytes = typeof shared === 'string' ? sealedRecordBytes(shared) : undefined;
  const packOnce =
    sharedBytes !== undefined &&
    present.every((field) => fields[field] === shared) &&
    sameFields(recordFields(sharedBytes), present);
  const packed: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (!present.includes(field as PersonalField)) packed[field] = value;
    else if (packOnce) {
      if (field === first) packed[SHARED_RECORD_FIELD] = asBinary(sharedBytes);
    } else {
      const bytes = typeof value === 'string' ? sealedRecordBytes(value) : undefined;
      packed[field] = bytes ? asBinary(bytes) : value;
    }
  }
  return packed;
}

/**
 * The fields as `packSealed` was given them: `pd` back as each field its record holds, binaries
 * back as text; text sealed before (`pd1.`) and anything else untouched.
 */
export function unpackSealed(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const unpacked: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) {
    const text = sealedText(value);
    if (field === SHARED_RECORD_FIELD && text !== undefined) {
      const bytes = sealedRecordBytes(text);
      for (const held of bytes ? recordFields(bytes) : []) unpacked[held] = text;
    } else {
      unpacked[field] = text ?? value;
    }
  }
  return unpacked;
}

function sealedText(value: unknown): string | undefined {
  if (!(value instanceof Binary) || value.sub_type !== SEALED_SUBTYPE) return undefined;
  // Only the bytes written: a binary's buffer may be longer than its content (bson src/binary.ts).
  return sealedRecordText(value.read(0, value.length()));
}

function asBinary(bytes: Buffer): Binary {
  return new Binary(bytes, SEALED_SUBTYPE);
}

function sameFields(a: readonly PersonalField[], b: readonly PersonalField[]): boolean {
  return a.length === b.length && a.every((field) => b.includes(field));
}
