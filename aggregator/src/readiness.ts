import type { SubscriptionEndReason } from '@user-service/common';

/**
 * Why an aggregator does not serve reads:
 * - `restoring`: loading its snapshot and replaying, not caught up yet;
 * - `reconciling`: its checkpoint fell out of the store's history, it is re-reading its partitions;
 * - `behind`: it has not confirmed being caught up for longer than it may lag (store unreachable,
 *   retries without progress, or too much to apply);
 * - a SubscriptionEndReason: its subscription ended for good and needs an operator;
 * - `stopped`: shutting down.
 */
export type NotReadyReason =
  'restoring' | 'reconciling' | 'behind' | SubscriptionEndReason | 'stopped';

export type Readiness =
  { readonly ready: true } | { readonly ready: false; readonly reason: NotReadyReason };
