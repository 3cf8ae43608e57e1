import type { MongoClientOptions } from 'mongodb';

/**
 * How long one empty wait on the change stream lasts before it answers "nothing new" (the tail's
 * maxAwaitTimeMS): here, since the socket timeout must exceed it.
 */
export const TAIL_WAIT_MS = 500;

/**
 * Above the longest a healthy server takes to answer one command, so that only a connection that
 * stopped answering (a half-open socket) is cut: the time a write executes before its majority
 * wait, and the network, on top of the longest wait the server itself bounds.
 */
const SOCKET_SLACK_MS = 1000;

/** The waits of the MongoDB client, each bounded separately. */
export interface MongoWaits {
  /**
   * Server time of one read (`maxTimeMS`) and of a commit (`maxCommitTimeMS`), and the wait for a
   * pooled connection: STORE_TIMEOUT_MS.
   */
  readonly operationMs: number;
  /** How long a write waits for the majority (`wtimeoutMS`): MONGO_WRITE_TIMEOUT_MS. */
  readonly writeConcernMs: number;
  /** How long an operation waits for a server it may use: MONGO_SELECTION_TIMEOUT_MS. */
  readonly serverSelectionMs: number;
}

/**
 * Majority write concern: a write is acknowledged only once it survives the loss of the primary.
 * Majority read concern: nothing read can be rolled back later. The waits the driver and the
 * server bound (the driver's `timeoutMS` would be one knob for them all, but it is a no-op in
 * driver 7: connection_string.ts marks it `ignored`, timeout.ts never makes a CSOT context):
 * - finding a server: `serverSelectionTimeoutMS`. After a stepdown an election takes seconds, so
 *   a bound much under 1 s fails requests a new primary would have served (review m8);
 * - a pooled connection: `waitQueueTimeoutMS` (LegacyTimeoutContext.connectionCheckoutTimeout);
 * - the majority: `wtimeoutMS` on every write and commit. A majority wait under about 1 s turns
 *   routine cross-zone replication into 503s for writes that then commit (review m8);
 * - a read's and a commit's server time: `maxTimeMS`/`maxCommitTimeMS`, set per operation by the
 *   adapters from `operationMs`; the tail's getMore waits at most TAIL_WAIT_MS (maxAwaitTimeMS);
 * - everything else, and a half-open connection whose server will never answer:
 *   `socketTimeoutMS`, a little above the longest of those waits. Without it (0) only the
 *   monitor's failed heartbeat interrupts such a connection, about heartbeatFrequencyMS +
 *   connectTimeoutMS (40 s) later (review m9). It also bounds what the server bounds nowhere:
 *   a write's execution before its majority wait (writes carry no maxTimeMS), and each batch of
 *   the aggregator's long reads (the restore's users): a cumulative maxTimeMS there would bound
 *   the whole scan, since a getMore inherits the find's leftover time (getmore_cmd.cpp).
 *   The catch-up read's first batch also waits for its causal point (afterClusterTime): should
 *   that take longer, the read fails and the aggregator retries it, as after any outage.
 * When the socket times out the driver closes that connection (MongoNetworkTimeoutError; the
 * pool is not cleared) and the operation fails as the store's outage: the request gets 503.
 */
export function boundedClientOptions(waits: MongoWaits): MongoClientOptions {
  return {
    writeConcern: { w: 'majority', wtimeoutMS: waits.writeConcernMs },
    readConcern: { level: 'majority' },
    serverSelectionTimeoutMS: waits.serverSelectionMs,
    waitQueueTimeoutMS: waits.operationMs,
    socketTimeoutMS: socketTimeoutFor(waits),
  };
}

/** A little above the longest reply a healthy server can take to send. */
export function socketTimeoutFor(waits: MongoWaits): number {
  return Math.max(waits.operationMs, waits.writeConcernMs, TAIL_WAIT_MS) + SOCKET_SLACK_MS;
}
