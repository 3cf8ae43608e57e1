import {
  errorFields,
  type Logger,
  problems,
  requestIdOf,
  type Store,
  toProblem,
} from '@user-service/common';
import type { Request, RequestHandler, Response } from 'express';
import { v4 as uuidv4 } from 'uuid';
import type { GatewayMetrics } from './gateway-metrics';
import { fingerprintOf, idempotencyKeyOf, type KeyedIds, keyedIds } from './idempotency-key';
import { problemOutcome, sendOutcome, type WriteOutcome } from './write-outcome';

export const DEFAULT_IDEMPOTENCY_TTL_HOURS = 24;
/**
 * How long a gateway holds a key while carrying its request out before another may take over
 * (its process presumably died). Far above a write's own bound (a few store calls, each
 * answered or given up within STORE_TIMEOUT_MS); taking over too early costs no second write,
 * only a second attempt, since both derive the same event id.
 */
export const DEFAULT_IDEMPOTENCY_LEASE_MS = 10_000;

export interface IdempotencySettings {
  /** How long an outcome is remembered (IDEMPOTENCY_TTL_HOURS). */
  readonly ttlMs: number;
  readonly leaseMs: number;
  readonly now: () => Date;
}

export interface IdempotencyContext {
  readonly store: Store;
  readonly idempotency: IdempotencySettings;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
}

/**
 * A write as a value: given the ids a key derives (none without a key), it answers the outcome
 * to send, or throws what toProblem turns into one.
 */
export type Write = (
  req: Request,
  res: Response,
  keyed: KeyedIds | undefined,
) => Promise<WriteOutcome>;

/**
 * Runs a write once per `Idempotency-Key`: the first request with a key is carried out and its
 * final outcome (2xx or 4xx) remembered; a retry of the same request gets that outcome again,
 * marked `Idempotent-Replayed: true`; another request with the key is a 422; any request while
 * the first is in flight, a 409. A 5xx is forgotten, so that the retry runs again; it then
 * derives the same event id, so whatever the failed attempt stored is found, not stored twice.
 */
export function idempotent(
  context: IdempotencyContext,
  userIdInPath: (req: Request) => string | undefined,
  write: Write,
): RequestHandler {
  return async (req: Request, res: Response) => {
    const key = idempotencyKeyOf(req);
    if (key === undefined) {
      sendOutcome(res, await write(req, res, undefined));
      return;
    }
    const { store, idempotency, log, metrics } = context;
    const count = (outcome: 'carried_out' | 'replayed' | 'key_reused' | 'in_flight') =>
      metrics.idempotentRequests.inc({ outcome });
    const fingerprint = fingerprintOf(req, userIdInPath(req));
    const token = uuidv4();
    const now = idempotency.now();
    const expiresAt = new Date(now.getTime() + idempotency.ttlMs);
    const begin = await store.idempotency.begin(key, {
      fingerprint,
      token,
      now,
      leaseUntil: new Date(now.getTime() + idempotency.leaseMs),
      expiresAt,
    });
    if (begin.kind === 'inFlight') {
      count('in_flight');
      throw problems.idempotencyKeyInFlight();
    }
    if (begin.kind === 'completed') {
      if (begin.fingerprint !== fingerprint) {
        count('key_reused');
        throw problems.idempotencyKeyReused();
      }
      count('replayed');
      res.set('Idempotent-Replayed', 'true');
      sendOutcome(res, begin.outcome);
      return;
    }

    count('carried_out');
    let outcome: WriteOutcome;
    try {
      outcome = await write(req, res, keyedIds(key, fingerprint));
    } catch (error) {
      const problem = toProblem(error);
      if (problem.status >= 500) {
        await store.idempotency.abandon(key, token).catch((abandonError: unknown) => {
          // The key stays held until its lease runs out: the retry waits, then takes it over.
          log.warn('could not release an idempotency key', {
            requestId: requestIdOf(res),
            error: errorFields(abandonError),
          });
        });
        throw error;
      }
      outcome = problemOutcome(problem);
    }
    await store.idempotency
      .finish(key, token, outcome, new Date(idempotency.now().getTime() + idempotency.ttlMs))
      .catch((finishError: unknown) => {
        // The write itself is done and durable: answer it. A retry takes the key over once the
        // lease runs out, and finds the stored event by its derived id.
        log.warn('could not remember the outcome of an idempotent request', {
          requestId: requestIdOf(res),
          error: errorFields(finishError),
        });
      });
    sendOutcome(res, outcome);
  };
}
