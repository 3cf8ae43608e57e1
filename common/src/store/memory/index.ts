// The in-memory adapter of the store port: `@user-service/common/store/memory`, for
// `STORE=memory` and for tests; held to MongoDB's behaviour by the store contract suite.
export * from './memory-store';
export * from './memory-event-store';
export { positionOf } from './memory-checkpoint';
