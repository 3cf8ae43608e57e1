// The MongoDB adapter of the store port: `@user-service/common/store/mongo`. Only processes that
// talk to MongoDB (and their tests) import it, so the rest never loads the driver.
export * from './mongo-store';
export * from './connect-mongo';
export * from './connect-or-exit';
export * from './schema';
export { hasCode, hasLabel, MONGO_ERROR } from './error-codes';
export { isAuthenticationFailure } from './authentication-failure';
// How documents are written, for the benchmark's space estimate to measure what is stored.
export { toEventDocument } from './event-documents';
export { toUserDocument } from './user-documents';
export { toStoredKey } from './data-key-documents';
export { SEALED_SUBTYPE, SHARED_RECORD_FIELD } from './sealed-documents';
