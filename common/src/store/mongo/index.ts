// The MongoDB adapter of the store port: `@user-service/common/store/mongo`. Only processes that
// talk to MongoDB (and their tests) import it, so the rest never loads the driver.
export * from './mongo-store';
export * from './connect-mongo';
export * from './connect-or-exit';
export * from './schema';
export { hasCode, hasLabel, MONGO_ERROR } from './error-codes';
export { isAuthenticationFailure } from './authentication-failure';
