/**
 * The MongoDB server error codes the store adapter and mongo-init act on, by name (the driver
 * keeps its own list internal). Values from the server's error_codes.yml.
 */
export const MONGO_ERROR = Object.freeze({
  AuthenticationFailed: 18,
  // replSetInitiate on a replica set that is already initiated.
  AlreadyInitialized: 23,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  NamespaceExists: 48,
  WriteConcernTimeout: 64,
  // createIndexes: an index of that name or key exists with other options, or other keys.
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  WriteConflict: 112,
  ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286,
  DuplicateKey: 11000,
  // Not in error_codes.yml: createUser raises it from a source location (codeName Location51003).
  UserAlreadyExists: 51003,
} as const);

export function hasCode(error: unknown, code: number): boolean {
  return (
    typeof error === 'object' && error !== null && 'code' in error && Number(error.code) === code
  );
}

export function hasLabel(error: unknown, label: string): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'hasErrorLabel' in error &&
    typeof error.hasErrorLabel === 'function' &&
    error.hasErrorLabel(label) === true
  );
}
