/**
 * The MongoDB server error codes this adapter acts on, by name (the driver keeps its own list
 * internal). Values from the server's error_codes.yml.
 */
export const MONGO_ERROR = Object.freeze({
  AuthenticationFailed: 18,
  NamespaceNotFound: 26,
  NamespaceExists: 48,
  WriteConcernTimeout: 64,
  WriteConflict: 112,
  ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286,
  DuplicateKey: 11000,
  // Not in error_codes.yml: createUser raises it from a source location (codeName Location51003).
  UserAlreadyExists: 51003,
} as const);

export function hasCode(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && Number(error.code) === code;
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
