// The store port (`@user-service/common/store`): what every adapter promises, its errors, the one
// catch-up algorithm, and decorators over any store. The adapters live behind their own paths:
// `@user-service/common/store/mongo` and `@user-service/common/store/memory`.
export * from './store';
export * from './event-store';
export * from './snapshot-store';
export * from './idempotency-store';
export * from './data-key-store';
export * from './partition-leases';
export * from './errors';
export * from './around-store-calls';
export * from './wrap-store';
export * from './bounded-store';
export type { ChangeSource, ChangeTail, CatchUp, TailStep } from './change-source';
export { startCatchUpSubscription, type SubscriptionTiming } from './catch-up-subscription';
export * from './sorted-ids';
export * from './projection-rebuilds';
